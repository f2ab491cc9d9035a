"""Route name -> service. A new route is one module plus one line here."""

from __future__ import annotations

from itg.services.base import Service
from itg.services.costcenter import CostCenterService
from itg.services.people import PeopleService

SERVICES: dict[str, Service] = {
    service.route: service
    for service in (
        PeopleService(),
        CostCenterService(),
    )
}
