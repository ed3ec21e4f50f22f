"""HTTP routes of the products service."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1/products")
