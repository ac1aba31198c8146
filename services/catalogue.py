"""The service catalogue: areas, their options ("la opción que más se ajuste") and SLA hours."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from models import Area, ServiceOption, SlaPolicy
from models.enums import Urgency

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
        .where(ServiceOption.area_id == area_id, ServiceOption.active.is_(True))
        .order_by(ServiceOption.position, ServiceOption.name)
    )
    return [OptionView(o.id, o.area_id, o.name, o.description) for o in rows]
