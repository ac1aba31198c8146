"""The desk's screens and the paths of their addresses, in one table.

The navigation (app_pages/ui/navigation.py) registers each screen at its path; a link to a screen —
in a page, or leaving the app in an e-mail — is written with `url`, so a path changes in one place.
"""

from urllib.parse import urlencode

PATHS = {
    "inicio": "inicio",
    "mensajes": "mensajes",
    "registrar": "registrar",
    "verificar": "verificar",
    "conocimiento": "conocimiento",
    "bandeja": "bandeja",
    "satisfaccion": "satisfaccion",
    "informe_conocimiento": "informe-conocimiento",
    "admin_usuarios": "usuarios",
    "admin_catalogo": "areas-y-opciones",
    "admin_sla": "acuerdos-de-servicio",
    "admin_correo": "correo",
    "admin_auditoria": "auditoria",
    "mi_cuenta": "mi-cuenta",
    "cambiar_clave": "cambiar-clave",
    "cerrar_sesion": "cerrar-sesion",
    "setup": "configuracion",
}


def url(screen: str, *, base: str = "", **query: object) -> str:
    """`/verificar?caso=12` inside the app; with the desk's address as `base`, the whole link an e-mail needs."""
    address = f"{base}/{PATHS[screen]}"
    return f"{address}?{urlencode(query)}" if query else address
