"""xlflow: run a cross-department collaboration (跨部门合作流程) on Excel workbooks."""

__version__ = "0.1.0"
