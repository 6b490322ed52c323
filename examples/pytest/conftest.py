# conftest.py — makes the snagfs fixture available to the tests here.
from snagfs_fixture import pytest_configure, snagfs  # noqa: F401
