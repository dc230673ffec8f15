"""Cross-cutting pages: home, dashboards, language switch, health check."""
