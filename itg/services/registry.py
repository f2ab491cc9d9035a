"""Route name -> service. A new route is one module plus one line here."""

from __future__ import annotations

from itg.services.absences import AbsencesService
from itg.services.advances import AdvancesService
from itg.services.base import Service
from itg.services.costcenter import CostCenterService
from itg.services.payment_dates import PaymentDateService
from itg.services.people import PeopleService
from itg.services.subsidiaries import SubsidiariesService
from itg.services.users import UsersService

SERVICES: dict[str, Service] = {
    service.route: service
    for service in (
        PeopleService(),
        CostCenterService(),
        SubsidiariesService(),
        UsersService(),
        PaymentDateService(),
        AbsencesService(),
        AdvancesService(),
    )
}
