"""HTTP routes of the subsidies service."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1/subsidies")
