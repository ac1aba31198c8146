"""Which screens each role has: the one place the navigation and the pages' guards agree on."""

from models.enums import Role

STAFF = (Role.ADVISOR, Role.MANAGER, Role.ADMIN)

# Section → pages, in menu order. "" is the top level (Inicio), as the manual draws it.
PAGES_BY_SECTION = {
    "": ("inicio", "mensajes"),
    "mesa": ("registrar", "verificar"),
    "asesor": ("bandeja",),
    "informes": ("satisfaccion",),
    "admin": ("admin_usuarios", "admin_catalogo", "admin_sla", "admin_correo", "admin_auditoria"),
    "cuenta": ("mi_cuenta",),
}

PAGE_ROLES = {
    "inicio": tuple(Role),
    "mensajes": tuple(Role),
    "registrar": tuple(Role),
    "verificar": tuple(Role),
    "bandeja": STAFF,
    "satisfaccion": (Role.MANAGER, Role.ADMIN),
    "admin_usuarios": (Role.ADMIN,),
    "admin_catalogo": (Role.ADMIN,),
    "admin_sla": (Role.ADMIN,),
    "admin_correo": (Role.ADMIN,),
    "admin_auditoria": (Role.ADMIN,),
    "mi_cuenta": tuple(Role),
}


def pages_for_role(role: str) -> dict[str, list[str]]:
    """The sections and pages a role sees, in order; empty sections are left out."""
    sections = {}
    for section, pages in PAGES_BY_SECTION.items():
        allowed = [p for p in pages if role in PAGE_ROLES[p]]
        if allowed:
            sections[section] = allowed
    return sections
