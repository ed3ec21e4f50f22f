"""The jobs service: Haizhu job postings, Weng'an workers, job fairs, training and placements."""

from fastapi import FastAPI

from services.jobs.config import JobsSettings, get_settings
from services.jobs.consumers import subscriptions
from services.jobs.routes import router
from shared.app import create_service_app


def create_app(settings: JobsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or get_settings(),
        title="Jobs service",
        description="Haizhu partners' job postings for Weng'an workers, the worker registry, "
        "job fairs, training sessions, placements and monthly employment confirmations.",
        routers=[router],
        subscriptions=subscriptions,
    )


app = create_app()
