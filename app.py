"""NST Studio web app (Gradio). Placeholder until the app issue lands: the library is usable via `python -m nst`."""

if __name__ == "__main__":
    raise SystemExit("The web app is not built yet; use `python -m nst quality ...` meanwhile.")
