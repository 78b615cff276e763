import pytest

# Marks for every e2e module (`pytestmark = E2E`): the marker, and the SQLite backend only.
E2E = [pytest.mark.e2e, pytest.mark.parametrize("database", ["sqlite"], indirect=True)]
