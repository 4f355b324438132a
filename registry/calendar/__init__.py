"""The official working-day calendar (placeholder until the calendar branch lands)."""
