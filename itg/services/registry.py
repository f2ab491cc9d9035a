"""Route name -> service: the one declared list of write routes (SPEC 1.1, in its order).

A new route is one module ending with `SERVICE = Service(...)` plus one line here: the API
registers and documents it, the worker applies it and `itg.permissions` allows it from this
mapping, read when they need it.
"""

from __future__ import annotations

from typing import Any

from itg.services import absences, advances, costcenter, payment_dates, people, subsidiaries, users
from itg.services.base import Service

SERVICES: dict[str, Service[Any]] = {
    service.route: service
    for service in (
        people.SERVICE,
        absences.SERVICE,
        payment_dates.SERVICE,
        advances.SERVICE,
        subsidiaries.SERVICE,
        costcenter.SERVICE,
        users.SERVICE,
    )
}
