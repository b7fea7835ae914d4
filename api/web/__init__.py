"""The browser pages (batch dashboard, interviewer briefing, sign-in), served by the API itself.

Kept import-light on purpose: `api.deps` imports `api.web.session`, and the routes import `api.deps`.
"""
