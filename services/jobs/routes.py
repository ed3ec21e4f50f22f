"""HTTP routes of the jobs service."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1/jobs")
