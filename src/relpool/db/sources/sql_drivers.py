"""Which package a SQLAlchemy URL needs, so a missing one is one sentence instead of a traceback.

SQLAlchemy finds a URL's dialect by name and imports its driver (DBAPI module) only when an
engine is created; both steps are checked here, before anything connects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relpool.errors import RelpoolError

if TYPE_CHECKING:
    import sqlalchemy as sa

# Driver module -> the package that provides it (pip names differ from module names).
DRIVER_PACKAGES = {
    "MySQLdb": "mysqlclient",
    "pymysql": "PyMySQL",
    "mysql": "mysql-connector-python",
    "mariadb": "mariadb",
    "pyodbc": "pyodbc",
    "pymssql": "pymssql",
    "psycopg2": "psycopg2-binary",
    "pg8000": "pg8000",
    "oracledb": "oracledb",
    "cx_Oracle": "cx_Oracle",
}

# Dialects that live in their own packages, outside SQLAlchemy.
DIALECT_PACKAGES = {
    "snowflake": "snowflake-sqlalchemy",
    "bigquery": "sqlalchemy-bigquery",
    "redshift": "sqlalchemy-redshift",
    "databricks": "databricks-sqlalchemy",
    "clickhouse": "clickhouse-sqlalchemy",
    "trino": "trino",
    "cockroachdb": "sqlalchemy-cockroachdb",
    "ibm_db_sa": "ibm_db_sa",
    "db2": "ibm_db_sa",
    "hana": "sqlalchemy-hana",
}


def check_driver(url: sa.URL, shown: str, action: str = "read") -> None:
    """Raise one clear error if ``url``'s dialect or driver is unknown, asynchronous or not installed
    (``action``: what relpool was about to do there, "read" or "write")."""
    import sqlalchemy as sa

    backend = url.get_backend_name()
    try:
        dialect = url.get_dialect()
    except (sa.exc.NoSuchModuleError, ValueError):  # ValueError: a name with two '+' (SQLAlchemy splits on one)
        package = DIALECT_PACKAGES.get(backend)
        fix = f"pip install {package}" if package else "install the package that provides its SQLAlchemy dialect"
        raise RelpoolError(
            f"cannot {action} {shown}: SQLAlchemy has no dialect '{url.drivername}' here ({fix})"
        ) from None
    if getattr(dialect, "is_async", False):
        raise RelpoolError(
            f"cannot {action} {shown}: '{url.drivername}' is an asyncio driver; give the URL without it ({backend}://...)"
        )
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        module = (exc.name or "").split(".")[0]
        package = DRIVER_PACKAGES.get(module, module or "its driver")
        raise RelpoolError(
            f"cannot {action} {shown}: the {url.drivername} dialect needs the driver module '{module}' "
            f"(pip install {package})"
        ) from None
