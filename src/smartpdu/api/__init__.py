"""Native REST API (FastAPI, ``/api/v1``): problem+json errors, bearer tokens, SSE stream."""

from smartpdu.api.app import API_PREFIX, create_app
from smartpdu.api.problems import PROBLEM_MEDIA_TYPE, ApiProblem, FieldError, Problem

__all__ = ["API_PREFIX", "PROBLEM_MEDIA_TYPE", "ApiProblem", "FieldError", "Problem", "create_app"]
