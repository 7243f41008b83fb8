"""The HTML pages."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ... import __version__
from ...main_paths import ROOT

TEMPLATES = Jinja2Templates(directory=str(ROOT / "templates"))

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, "index.html", {"version": __version__})


@router.get("/lessons", response_class=HTMLResponse)
def lessons(request: Request) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, "lessons.html", {"version": __version__})


@router.get("/networks", response_class=HTMLResponse)
def networks(request: Request) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, "networks.html", {"version": __version__})
