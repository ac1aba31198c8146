"""The one message catalogue: every text a user reads, by key, in Spanish (default) and English."""

from __future__ import annotations

DEFAULT_LANGUAGE = "es"

ES: dict[str, str] = {
    # App and navigation
    "app.name": "Mesa de Servicio",
    "app.settings_error": "La configuración no es válida: {error}",
    "nav.inicio": "Inicio",
    "nav.mesa": "Mesa de Servicio",
    "nav.registrar": "Registrar un Caso",
    "nav.verificar": "Verificar mis Casos",
    "nav.mi_cuenta": "Mi cuenta",
    "nav.cambiar_clave": "Cambiar clave",
    "nav.cerrar_sesion": "Cerrar sesión",
    # Login
    "login.title": "Ingresar",
    "login.intro": "Ingrese con el usuario y la clave asignados (usuario: nombre.apellido).",
    "login.username": "Usuario",
    "login.password": "Clave",
    "login.submit": "Ingresar",
    "login.failed": "Usuario o clave incorrectos.",
    "login.session_ended": "Su sesión terminó: la cuenta fue desactivada o su clave cambió. Ingrese de nuevo.",
    "login.logged_out": "Sesión cerrada.",
    "login.again": "Ingresar de nuevo",
    # One-time setup
    "setup.title": "Configuración inicial",
    "setup.intro": "Bienvenido. Esta base de datos está vacía: cree el primer administrador de la mesa. "
    "Esta página se muestra una sola vez.",
    "setup.username": "Usuario del administrador",
    "setup.username_help": "Con la forma nombre.apellido: letras minúsculas, números y puntos.",
    "setup.full_name": "Nombre completo",
    "setup.email": "Correo electrónico",
    "setup.password": "Clave",
    "setup.password_repeat": "Repita la clave",
    "setup.load_demo": "Cargar el catálogo de demostración (áreas, opciones y usuarios de ejemplo)",
    "setup.submit": "Crear administrador",
    "setup.done": "Listo. El administrador {username} fue creado.",
    "setup.demo_users": "Usuarios de demostración. Anote estas claves: no se volverán a mostrar.",
    "setup.go_login": "Ir a ingresar",
    "setup.already_done": "La configuración inicial ya fue realizada. Ingrese con su usuario.",
    "setup.col_username": "Usuario",
    "setup.col_name": "Nombre",
    "setup.col_role": "Rol",
    "setup.col_password": "Clave",
    "setup.col_areas": "Áreas",
    # Roles
    "role.employee": "Solicitante",
    "role.advisor": "Asesor",
    "role.manager": "Coordinador",
    "role.admin": "Administrador",
    # Passwords and accounts
    "password.policy": "La clave debe tener al menos {min} caracteres, no puede ser igual al usuario "
    "ni una clave común (como 12345678 o password).",
    "password.spaces": "La clave no puede empezar ni terminar con espacios.",
    "password.too_short": "La clave debe tener al menos {min} caracteres.",
    "password.too_long": "La clave no puede pasar de {max} bytes.",
    "password.is_username": "La clave no puede ser igual al usuario.",
    "password.common": "Esa clave es demasiado común; elija otra.",
    "password.mismatch": "Las dos claves no coinciden.",
    "password.current_wrong": "La clave actual no es correcta.",
    "password.same_as_current": "La clave nueva debe ser distinta de la actual.",
    "user.username_required": "Escriba el usuario.",
    "user.username_format": "El usuario debe tener la forma nombre.apellido: letras minúsculas, números y puntos "
    "(entre 3 y 60 caracteres).",
    "user.username_taken": "El usuario {username} ya existe.",
    "user.email_required": "Escriba el correo electrónico.",
    "user.email_format": "El correo electrónico no es válido.",
    "user.full_name_required": "Escriba el nombre completo.",
    "user.full_name_too_long": "El nombre no puede pasar de {max} caracteres.",
    "user.role_invalid": "El rol no es válido.",
    "user.area_unknown": "No existe el área: {area}.",
    "user.cannot_deactivate_self": "No puede desactivar su propia cuenta.",
    "account.title": "Mi cuenta",
    "account.profile": "Datos personales",
    "account.username": "Usuario",
    "account.role": "Rol",
    "account.full_name": "Nombre completo",
    "account.email": "Correo electrónico",
    "account.save_profile": "Guardar datos",
    "account.profile_saved": "Sus datos fueron guardados.",
    "account.change_password": "Cambiar clave",
    "account.current_password": "Clave actual",
    "account.new_password": "Clave nueva",
    "account.new_password_repeat": "Repita la clave nueva",
    "account.save_password": "Cambiar clave",
    "account.password_changed": "Su clave fue cambiada.",
    "account.forced_intro": "Su clave es temporal. Antes de continuar, cámbiela por una clave personal.",
    "account.options": "Opciones adicionales",
    "account.clear_cache": "Borrar caché",
    "account.clear_cache_help": "Vuelve a leer los datos que la aplicación guardó en memoria.",
    "account.cache_cleared": "La caché fue borrada.",
    "account.theme": "Modo visual",
    "account.theme_light": "Claro",
    "account.theme_dark": "Oscuro",
    "account.theme_saved": "Modo visual guardado.",
    "account.theme_invalid": "Modo visual no válido.",
    "account.logout": "Cerrar sesión",
    # Inicio
    "home.greeting": "Hola, {name}",
    "home.intro": "Bienvenido a la Mesa de Servicio.",
    # Errors
    "error.forbidden": "No tiene permiso para hacer esto.",
    "error.forbidden_page": "No tiene acceso a esta página.",
    "error.user_not_found": "Usuario no encontrado.",
}

EN: dict[str, str] = {}

CATALOGUES = {"es": ES, "en": EN}


def t(key: str, language: str = DEFAULT_LANGUAGE, /, **params) -> str:
    """The text for a key in a language (Spanish when missing there), with its parameters filled in."""
    text = CATALOGUES.get(language, ES).get(key) or ES.get(key) or key
    return text.format(**params) if params else text
