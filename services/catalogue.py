"""The service catalogue: areas, their options ("la opción que más se ajuste"), how each area assigns
its cases and to which advisors, and SLA hours; read by everyone, kept by admins (each change audited)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Area, Case, ServiceOption, SlaPolicy, User
from models.enums import AssignmentMode, Role, Urgency
from services import mail_address, settings, text
from services.audit import audit, require_admin
from services.errors import NotFound, ValidationFailed
from services.security import normalize_email

if TYPE_CHECKING:
    from services.users import Actor

GESTION_TECNOLOGICA = "Gestión Tecnológica"
SERVICIOS_GENERALES = "Servicios Generales"

DEFAULT_SLA_HOURS = {
    Urgency.VERY_HIGH: 4,
    Urgency.HIGH: 8,
    Urgency.MEDIUM: 24,
    Urgency.LOW: 48,
    Urgency.VERY_LOW: 72,
}

DEMO_CATALOGUE = {
    GESTION_TECNOLOGICA: (
        "Equipos de cómputo, correo, acceso a sistemas, impresoras y telefonía.",
        (
            ("Soporte de equipos", "Computador o portátil que no enciende, está lento o falla."),
            ("Correo electrónico", "Buzón lleno, no envía o no recibe, configurar el correo."),
            ("Acceso a sistemas", "Crear usuario, desbloquear o dar permisos en un sistema."),
            ("Impresoras", "Impresora sin tinta, atascada o que no imprime."),
            ("Red e internet", "Sin conexión, Wi-Fi lento o cable de red dañado."),
            ("Software y licencias", "Instalar o actualizar un programa o su licencia."),
            ("Telefonía", "Extensión, diadema o teléfono IP que no funciona."),
        ),
    ),
    SERVICIOS_GENERALES: (
        "Instalaciones, aseo, transporte, cafetería y correspondencia.",
        (
            ("Mantenimiento locativo", "Daños en puertas, chapas, pintura, plomería o electricidad."),
            ("Aseo", "Limpieza de oficinas, baños o zonas comunes."),
            ("Transporte", "Solicitud de vehículo o traslado para una diligencia."),
            ("Cafetería", "Servicio de cafetería para reuniones y eventos."),
            ("Mobiliario", "Sillas, escritorios o archivadores dañados o por trasladar."),
            ("Correspondencia", "Envío o recepción de documentos y paquetes."),
        ),
    ),
}


@dataclass(frozen=True)
class AreaView:
    id: int
    name: str
    description: str


@dataclass(frozen=True)
class OptionView:
    id: int
    area_id: int
    name: str
    description: str


def seed_demo_catalogue(*, session: so.Session) -> None:
    """The two areas with their options and default SLA hours; what already exists is kept."""
    for position, (area_name, (area_description, options)) in enumerate(DEMO_CATALOGUE.items()):
        area = session.scalar(sa.select(Area).where(Area.name == area_name))
        if area is None:
            area = Area(name=area_name, description=area_description, position=position)
            session.add(area)
            session.flush()
        existing = set(session.scalars(sa.select(ServiceOption.name).where(ServiceOption.area_id == area.id)))
        for option_position, (name, description) in enumerate(options):
            if name not in existing:
                session.add(
                    ServiceOption(area_id=area.id, name=name, description=description, position=option_position)
                )
        has_sla = set(session.scalars(sa.select(SlaPolicy.urgency).where(SlaPolicy.area_id == area.id)))
        for urgency, hours in DEFAULT_SLA_HOURS.items():
            if urgency.value not in has_sla:
                session.add(SlaPolicy(area_id=area.id, urgency=urgency.value, hours=hours))
    session.flush()


def list_areas(*, session: so.Session) -> list[AreaView]:
    rows = session.scalars(sa.select(Area).where(Area.active.is_(True)).order_by(Area.position, Area.name))
    return [AreaView(a.id, a.name, a.description) for a in rows]


def list_options(*, session: so.Session, area_id: int) -> list[OptionView]:
    rows = session.scalars(
        sa.select(ServiceOption)
        .where(ServiceOption.area_id == area_id, ServiceOption.active.is_(True), ServiceOption.mail_only.is_(False))
        .order_by(ServiceOption.position, ServiceOption.name)
    )
    return [OptionView(o.id, o.area_id, o.name, o.description) for o in rows]


MAIL_OPTION = "Sin clasificar"


def mail_option(session: so.Session, area_id: int) -> ServiceOption:
    """The area's mail-only option, where a case that arrived by e-mail waits to be classified (made on
    first use for an area created after migration 0009). The web form never offers it."""
    option = session.scalar(
        sa.select(ServiceOption)
        .where(ServiceOption.area_id == area_id, ServiceOption.mail_only.is_(True))
        .order_by(ServiceOption.id)
        .limit(1)
    )
    if option is None:
        taken = set(session.scalars(sa.select(ServiceOption.name).where(ServiceOption.area_id == area_id)))
        name = MAIL_OPTION if MAIL_OPTION not in taken else f"{MAIL_OPTION} (correo)"
        option = ServiceOption(
            area_id=area_id,
            name=name,
            description="Casos recibidos por correo, aún sin opción",
            position=999,
            mail_only=True,
        )
        session.add(option)
        session.flush()
    return option


# --- Administration (admins only) ------------------------------------------------------------


@dataclass(frozen=True)
class OptionRow:
    id: int
    name: str
    description: str
    active: bool
    position: int
    cases: int


@dataclass(frozen=True)
class AreaDetail:
    id: int
    name: str
    assignment_mode: str
    advisors: tuple[str, ...]
    options: tuple[OptionRow, ...]
    sla: dict[str, int]
    inbound_address: str = ""
    mail_option: str = ""  # the name of its mail-only option, when it has one


def area_details(*, session: so.Session, actor: Actor) -> list[AreaDetail]:
    require_admin(actor)
    counts = dict(session.execute(sa.select(Case.option_id, sa.func.count()).group_by(Case.option_id)).all())
    result = []
    for area in session.scalars(
        sa.select(Area)
        .order_by(Area.position, Area.name)
        .options(so.selectinload(Area.options), so.selectinload(Area.advisors))
    ):
        sla = dict(
            session.execute(sa.select(SlaPolicy.urgency, SlaPolicy.hours).where(SlaPolicy.area_id == area.id)).all()
        )
        result.append(
            AreaDetail(
                area.id,
                area.name,
                area.assignment_mode,
                tuple(sorted(u.username for u in area.advisors)),
                tuple(
                    OptionRow(o.id, o.name, o.description, o.active, o.position, counts.get(o.id, 0))
                    for o in sorted(area.options, key=lambda o: (o.position, o.name))
                    if not o.mail_only
                ),
                sla,
                area.inbound_address or "",
                next((o.name for o in area.options if o.mail_only), ""),
            )
        )
    return result


def _area(session: so.Session, area_id: int) -> Area:
    area = session.get(Area, area_id)
    if area is None:
        raise NotFound("admin.area_not_found")
    return area


def _option_name(raw: str) -> str:
    name = " ".join((raw or "").replace("\x00", "").split())
    if not name:
        raise ValidationFailed("admin.option_name_required", field="name")
    if len(name) > 80:
        raise ValidationFailed("admin.option_name_too_long", field="name", max=80)
    return name


def add_option(*, session: so.Session, actor: Actor, area_id: int, name: str, description: str = "") -> int:
    require_admin(actor)
    area = _area(session, area_id)
    name = _option_name(name)
    if session.scalar(
        sa.select(ServiceOption.id).where(
            ServiceOption.area_id == area.id, sa.func.lower(ServiceOption.name) == name.lower()
        )
    ):
        raise ValidationFailed("admin.option_exists", field="name", name=name)
    position = (
        session.scalar(sa.select(sa.func.max(ServiceOption.position)).where(ServiceOption.area_id == area.id)) or 0
    ) + 1
    option = ServiceOption(area_id=area.id, name=name, description=text.clean(description)[:300], position=position)
    session.add(option)
    session.flush()
    audit(session, actor, "option.create", f"{area.name} · {name}", after={"description": option.description})
    return option.id


def update_option(
    *, session: so.Session, actor: Actor, option_id: int, name: str, description: str, active: bool
) -> None:
    """Rename, describe, deactivate or reactivate an option (a deactivated one keeps its cases)."""
    require_admin(actor)
    option = session.get(ServiceOption, option_id)
    if option is None:
        raise NotFound("admin.option_not_found")
    name = _option_name(name)
    clash = session.scalar(
        sa.select(ServiceOption.id).where(
            ServiceOption.area_id == option.area_id,
            sa.func.lower(ServiceOption.name) == name.lower(),
            ServiceOption.id != option.id,
        )
    )
    if clash:
        raise ValidationFailed("admin.option_exists", field="name", name=name)
    before = {"name": option.name, "description": option.description, "active": option.active}
    option.name, option.description, option.active = name, text.clean(description)[:300], active
    after = {"name": option.name, "description": option.description, "active": option.active}
    if before != after:
        audit(session, actor, "option.update", f"{option.area.name} · {name}", before=before, after=after)


def move_option(*, session: so.Session, actor: Actor, option_id: int, offset: int) -> None:
    """Move an option up (-1) or down (+1) in its area's list."""
    require_admin(actor)
    option = session.get(ServiceOption, option_id)
    if option is None:
        raise NotFound("admin.option_not_found")
    siblings = sorted(
        session.scalars(sa.select(ServiceOption).where(ServiceOption.area_id == option.area_id)),
        key=lambda o: (o.position, o.name),
    )
    index = siblings.index(option)
    target = index + offset
    if not 0 <= target < len(siblings):
        return
    siblings[index], siblings[target] = siblings[target], siblings[index]
    for position, sibling in enumerate(siblings):
        sibling.position = position
    audit(session, actor, "option.move", f"{option.area.name} · {option.name}", after={"position": target})


def set_inbound_address(*, session: so.Session, actor: Actor, area_id: int, address: str | None) -> None:
    """The address whose e-mails become cases of the area (empty: none). One area per address."""
    require_admin(actor)
    area = _area(session, area_id)
    address = normalize_email(address).lower() if (address or "").strip() else None
    if address is not None:
        config = settings.current()
        if address in {config.mail_from.lower(), mail_address.desk_address(config).lower()}:
            raise ValidationFailed("admin.area_address_is_desk", field="address")
        taken = session.scalar(
            sa.select(Area.name).where(sa.func.lower(Area.inbound_address) == address, Area.id != area.id)
        )
        if taken:
            raise ValidationFailed("admin.area_address_taken", field="address", area=taken)
    if area.inbound_address != address:
        audit(session, actor, "area.address", area.name, before=area.inbound_address, after=address)
        area.inbound_address = address
        if address:
            mail_option(session, area.id)


def set_assignment_mode(*, session: so.Session, actor: Actor, area_id: int, mode: str) -> None:
    require_admin(actor)
    if mode not in set(AssignmentMode):
        raise ValidationFailed("admin.mode_invalid", field="mode")
    area = _area(session, area_id)
    if area.assignment_mode != mode:
        audit(
            session,
            actor,
            "area.assignment_mode",
            area.name,
            before={"mode": area.assignment_mode},
            after={"mode": mode},
        )
        area.assignment_mode = mode


def set_area_advisors(*, session: so.Session, actor: Actor, area_id: int, usernames: list[str]) -> None:
    require_admin(actor)
    area = _area(session, area_id)
    chosen = list(session.scalars(sa.select(User).where(User.username.in_(usernames))))
    if any(u.role != Role.ADVISOR for u in chosen):
        raise ValidationFailed("admin.only_advisors", field="advisors")
    before = sorted(u.username for u in area.advisors)
    area.advisors = chosen
    after = sorted(u.username for u in chosen)
    if before != after:
        audit(session, actor, "area.advisors", area.name, before={"advisors": before}, after={"advisors": after})
