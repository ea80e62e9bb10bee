from plantrack.cli.main import app

app()
