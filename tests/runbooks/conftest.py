import pytest

from tests.runbooks.drill import Operator


@pytest.fixture
def operator(tmp_path):
    """A throwaway Dagster home and embedded backend, and a shell pointed at them."""
    return Operator.under(tmp_path)
