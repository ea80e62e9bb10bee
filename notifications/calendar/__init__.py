"""Calendar feeds: events from board rows, iCalendar text, publishing and serving."""
