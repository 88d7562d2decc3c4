"""The demo window that `deskpilot demo` drives."""
