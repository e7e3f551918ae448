"""Imports: XLSX workbooks of households, members and review results, checked, previewed and confirmed."""
