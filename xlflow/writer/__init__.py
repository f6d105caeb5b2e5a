"""XlsxWriter workbooks that departments fill in and the PMO prints."""

from .department import write_department_workbook
from .master import write_master_workbook

__all__ = ["write_department_workbook", "write_master_workbook"]
