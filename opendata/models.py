"""Import every domain's models so that Base.metadata knows all tables (Alembic, tests)."""

from opendata.applications import models as applications_models  # noqa: F401
from opendata.ckan import models as ckan_models  # noqa: F401
from opendata.parking import models as parking_models  # noqa: F401
from opendata.seed import SeedState  # noqa: F401
from opendata.services import models as services_models  # noqa: F401
from opendata.transit import models as transit_models  # noqa: F401
