"""What reading a sheet reports: a ``RowReport`` per data row with its
``RowProblem`` list, and the ``XlsxParseResult`` that holds the reports and the items."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..interchange import Item, ItemProblem


@dataclass(frozen=True)
class RowProblem:
    column: str  # the header as written in the sheet
    code: str
    message: str


@dataclass
class RowReport:
    row: int
    kind: str = ""
    identifier: str = ""
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def location(self) -> str:
        return f"第 {self.row} 行"

    @property
    def status(self) -> str:
        return "error" if self.problems else "ok"


@dataclass
class XlsxParseResult:
    items: list[Item] = field(default_factory=list)
    rows: list[RowReport] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(row.problems for row in self.rows)

    @property
    def problems(self) -> list[ItemProblem]:
        """The row problems in the shape every format reports (``interchange``)."""
        return [ItemProblem(f"{row.location}，{problem.column}", row.identifier, "error",
                            problem.code, problem.message)
                for row in self.rows for problem in row.problems]
