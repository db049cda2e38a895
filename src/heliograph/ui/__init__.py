"""The web dashboard: static ES modules and CSS, served by the same server as the API."""
