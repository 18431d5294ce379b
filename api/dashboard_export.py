"""The SLA dashboard as CSV (semicolons, UTF-8 with a BOM: Excel in French opens it as is) and XLSX (openpyxl)."""
from __future__ import annotations

import csv
import io

SECTIONS = (
    ("Volumes par procédure", "volumes",
     (("Procédure", "definition_key"), ("En cours", "running"), ("Terminées", "completed"), ("Annulées", "cancelled"),
      ("En échec", "failed"), ("Suspendues", "suspended"), ("Total", "total"))),
    ("Durée par étape (heures)", "steps",
     (("Procédure", "definition_key"), ("Étape", "name"), ("Élément", "element_id"), ("Tâches terminées", "count"),
      ("Médiane (h)", "median_hours"), ("90e centile (h)", "p90_hours"))),
    ("Tâches en retard par service", "overdue_by_group", (("Service", "group"), ("Tâches en retard", "count"))),
    ("Tâches en retard par consulat", "overdue_by_consulate",
     (("Consulat", "consulate"), ("Tâches en retard", "count"))),
    ("Tâches en retard", "overdue",
     (("Référence", "business_key"), ("Procédure", "definition_key"), ("Tâche", "name"), ("Échéance", "due_at"),
      ("Retard (h)", "late_hours"), ("Services", "groups"), ("Consulat", "consulate"))),
)


def _cell(value):
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if hasattr(value, "isoformat"):
        return value.isoformat(timespec="minutes")
    if isinstance(value, float):
        return value
    return "" if value is None else value


def to_csv(board: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for title, key, columns in SECTIONS:
        writer.writerow([title])
        writer.writerow([label for label, _ in columns])
        for row in board[key]:
            writer.writerow([str(_cell(row.get(field))).replace(".", ",") if isinstance(row.get(field), float)
                             else _cell(row.get(field)) for _, field in columns])
        writer.writerow([])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def to_xlsx(board: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, key, columns in SECTIONS:
        sheet = book.create_sheet(title[:31])
        sheet.append([label for label, _ in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in board[key]:
            sheet.append([_cell(row.get(field)) for _, field in columns])
        for index, (label, _) in enumerate(columns, start=1):
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(12, len(label) + 4)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
