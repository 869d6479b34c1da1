"""ExamHall lockdown exam client: environment check and kiosk browser (no Django here)."""

__version__ = "0.1.0"
