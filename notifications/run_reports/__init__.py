"""The markdown artifacts of the five flows in the coordinators' language (plain functions, no Prefect).

One module a flow (escalations, calendars, checkins, digest, replies), each with markdown() and description()
of the flow's result and a language: words from the catalog (config/locale), dates dd/mm/yyyy as on the board.
"""
