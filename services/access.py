"""Which screens each role may open: the one table the navigation (the menu) and every page's guard
(app_pages/ui/navigation.py: require_page) read."""

from models.enums import Role

EVERYONE = tuple(Role)
STAFF = (Role.ADVISOR, Role.MANAGER, Role.ADMIN)
ROLES = tuple(role.value for role in Role)  # in the order the administration lists them

# While a temporary password awaits its change, this is the only page that opens.
PASSWORD_CHANGE_PAGE = "cambiar_clave"

# Section → pages, in menu order. "" is the top level (Inicio), as the manual draws it.
PAGES_BY_SECTION = {
    "": ("inicio", "mensajes"),
    "mesa": ("registrar", "verificar", "conocimiento"),
    "asesor": ("bandeja",),
    "informes": ("satisfaccion", "informe_conocimiento"),
    "admin": ("admin_usuarios", "admin_catalogo", "admin_sla", "admin_correo", "admin_auditoria"),
    "cuenta": ("mi_cuenta",),
}

PAGE_ROLES = {
    "inicio": EVERYONE,
    "mensajes": EVERYONE,
    "registrar": EVERYONE,
    "verificar": EVERYONE,
    "conocimiento": EVERYONE,
    "bandeja": STAFF,
    "satisfaccion": (Role.MANAGER, Role.ADMIN),
    "informe_conocimiento": (Role.MANAGER, Role.ADMIN),
    "admin_usuarios": (Role.ADMIN,),
    "admin_catalogo": (Role.ADMIN,),
    "admin_sla": (Role.ADMIN,),
    "admin_correo": (Role.ADMIN,),
    "admin_auditoria": (Role.ADMIN,),
    "mi_cuenta": EVERYONE,
    PASSWORD_CHANGE_PAGE: EVERYONE,
}


def may_open(role: str, page: str) -> bool:
    """Whether a role may open a page; a page missing from the table opens to no one."""
    return role in PAGE_ROLES.get(page, ())


def pages_for_role(role: str) -> dict[str, list[str]]:
    """The sections and pages a role sees, in order; empty sections are left out."""
    sections = {}
    for section, pages in PAGES_BY_SECTION.items():
        allowed = [p for p in pages if may_open(role, p)]
        if allowed:
            sections[section] = allowed
    return sections
