from fastapi import APIRouter, Response

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    summary="Liveness check",
    responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
)
async def healthz() -> dict[str, str]:
    """Answered on the event loop itself: it never waits behind computations in worker threads."""
    return {"status": "ok"}


@router.head("/healthz", include_in_schema=False)
async def healthz_head() -> Response:
    return Response(status_code=200, media_type="application/json")
