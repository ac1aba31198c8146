"""Synthetic data for benchmarks and demos: many users, cases and knowledge-base articles in bulk (Core
inserts, not ORM objects), their texts assembled from realistic Spanish service-desk phrases so that the
search has words to find in the proportions a desk has them.

Every synthetic user shares one bcrypt hash of SYNTHETIC_PASSWORD (hashing thousands of
passwords would take minutes); never run this against a production database.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from models import (
    Area,
    Article,
    ArticleVersion,
    Attachment,
    Case,
    CaseEvent,
    CaseMessage,
    Counter,
    SearchDoc,
    ServiceOption,
    SurveyAnswer,
    User,
    advisor_areas,
    utcnow,
)
from models.enums import Role, Status, Urgency
from models.knowledge import INTERNAL, PUBLIC, PUBLISHED
from services import report_days, search
from services.catalogue import DEFAULT_SLA_HOURS, seed_demo_catalogue
from services.db import unit_of_work
from services.security import hash_password

# What the generated desk looks like, as a number: the bench keeps its databases under names that carry it,
# so a change here (2: Spanish texts, search documents, articles) makes them anew instead of reusing old ones.
VERSION = 2
SYNTHETIC_PASSWORD = "Clave-sintetica-2026"
CHUNK = 5_000
RECENT = timedelta(days=21)
STATUS_WEIGHTS = {
    Status.CLOSED: 70,
    Status.RESOLVED: 6,
    Status.IN_PROGRESS: 8,
    Status.WAITING: 4,
    Status.ASSIGNED: 6,
    Status.NEW: 6,
}


# ---------------------------------------------------------------- the words


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.strip().splitlines() if line.strip())


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True)
class Topic:
    """What people write about one service option: subjects, sentences of a description, the advisors'
    replies and solutions, and the knowledge base's titles, steps and tags. {placeholders} are FILLS."""

    subjects: tuple[str, ...]
    details: tuple[str, ...]
    replies: tuple[str, ...]
    solutions: tuple[str, ...]
    titles: tuple[str, ...]
    steps: tuple[str, ...]
    tags: tuple[str, ...]

    @classmethod
    def of(cls, **texts: str) -> Topic:
        return cls(
            **{name: _lines(text) if name != "tags" else tuple(text.split(", ")) for name, text in texts.items()}
        )


TOPICS = {
    "Soporte de equipos": Topic.of(
        subjects="""
            El computador no enciende
            Portátil muy lento
            La pantalla se queda en negro
            El teclado no funciona
            Mouse dañado
            El computador se reinicia solo
            Pantalla azul al iniciar Windows
            El portátil no carga la batería
            Solicito cambio de equipo
            Ruido extraño en el computador {lugar}
            Computador
            Segundo monitor para mi puesto
        """,
        details="""
            El computador {lugar} no enciende aunque está conectado a la corriente.
            Cuando prendo el portátil se queda en el logo y no pasa de ahí.
            El equipo está muy lento, abrir un archivo de Excel tarda varios minutos.
            La pantalla parpadea y a veces se apaga sola.
            Varias teclas del teclado no responden, sobre todo la barra espaciadora y la eñe.
            Sale una pantalla azul con un mensaje de error y el equipo se reinicia.
            El cargador del portátil se calienta mucho y la batería no sube del diez por ciento.
            El ventilador hace mucho ruido y el equipo se apaga por temperatura.
            Necesito un segundo monitor porque trabajo con varias hojas de cálculo a la vez.
        """,
        replies="""
            Vamos a revisar el equipo de forma remota; por favor déjelo encendido.
            Un técnico pasará por su puesto {cuando} para revisar el computador.
            ¿Nos puede enviar una foto del mensaje de error que aparece en la pantalla?
        """,
        solutions="""
            Se cambió la fuente de poder y el equipo enciende normalmente.
            Se liberó espacio en el disco, se desinstalaron programas innecesarios y se actualizaron los controladores.
            Se reemplazó el teclado por uno nuevo.
            Se reinstaló el sistema operativo y se restauraron los archivos del usuario.
            Se cambió la batería del portátil, que estaba hinchada.
        """,
        titles="""
            Qué hacer si el computador no enciende
            Cómo acelerar un portátil lento
            Pantalla azul en Windows: primeros pasos
            Cuidados de la batería del portátil
            Cómo conectar un segundo monitor
        """,
        steps="""
            Verifique que el cable de poder esté bien conectado a la toma y al equipo.
            Mantenga presionado el botón de encendido durante diez segundos y vuelva a intentarlo.
            Cierre los programas que no esté usando y reinicie el equipo.
            Revise en el Administrador de tareas qué programa consume más memoria.
            Desconecte las memorias USB y los periféricos antes de encender.
            Conecte el cargador original y espere quince minutos antes de encenderlo.
        """,
        tags="computador, portátil, pantalla, teclado, batería, Windows, lentitud, monitor",
    ),
    "Correo electrónico": Topic.of(
        subjects="""
            No me llegan los correos
            Buzón de correo lleno
            No puedo enviar correos con archivos adjuntos
            Configurar el correo en el celular
            Recibo muchos correos de spam
            Olvidé la contraseña del correo
            Crear una firma en Outlook
            Correo sospechoso de phishing
            Correo
            Outlook no abre
        """,
        details="""
            Desde {desde} no recibo correos externos, solo los de compañeros.
            Outlook dice que el buzón está lleno y no me deja enviar mensajes.
            Cuando envío un correo con un archivo adjunto grande me rebota.
            Necesito configurar el correo institucional en mi celular.
            Me llegó un correo que pide actualizar mis datos bancarios y parece falso.
            Los correos que envío llegan a la carpeta de correo no deseado de los clientes.
            No puedo abrir los archivos adjuntos en formato PDF.
            Outlook se queda en la pantalla de carga y luego se cierra.
        """,
        replies="""
            Revisamos su buzón y aumentamos la cuota de almacenamiento.
            Por favor no abra los enlaces de ese correo; lo vamos a bloquear.
            Le enviamos por este medio las instrucciones para configurar el correo en el celular.
        """,
        solutions="""
            Se amplió el buzón y se archivaron los correos antiguos.
            Se bloqueó el remitente y se eliminó el correo de phishing de todos los buzones.
            Se configuró la cuenta en la aplicación de Outlook del celular.
            Se restableció la contraseña del correo y se activó la verificación en dos pasos.
            Se reparó el perfil de Outlook y los correos se sincronizan de nuevo.
        """,
        titles="""
            Cómo liberar espacio en el buzón de correo
            Configurar el correo institucional en el celular
            Cómo reconocer un correo de phishing
            Enviar archivos grandes sin adjuntarlos
            Crear una firma de correo en Outlook
        """,
        steps="""
            Abra Outlook y vaya a Archivo, Herramientas, Limpieza de buzón.
            Vacíe la carpeta de elementos eliminados y la de correo no deseado.
            Guarde los archivos adjuntos grandes en OneDrive y comparta el enlace.
            Descargue la aplicación de Outlook desde la tienda del celular.
            No responda ni abra enlaces de correos que pidan contraseñas o datos bancarios.
            Reporte el mensaje sospechoso con el botón de informar phishing.
        """,
        tags="correo, Outlook, buzón, adjuntos, phishing, spam, celular, firma",
    ),
    "Acceso a sistemas": Topic.of(
        subjects="""
            Usuario bloqueado en el sistema
            Olvidé mi contraseña
            Solicitud de acceso al ERP
            Permisos para la carpeta compartida de {dependencia}
            No puedo iniciar sesión en la VPN
            Crear usuario para nuevo empleado
            Contraseña vencida
            Error de autenticación en el portal
            Contraseña
            Desbloquear usuario
        """,
        details="""
            Después de tres intentos el sistema bloqueó mi usuario.
            Necesito permisos de lectura y escritura en la carpeta compartida de {dependencia}.
            El lunes ingresa una persona nueva a {dependencia} y necesita usuario y correo.
            La VPN dice que las credenciales son incorrectas aunque la contraseña es la misma de siempre.
            Me pide cambiar la contraseña pero no acepta ninguna de las que escribo.
            No tengo acceso al módulo de facturación del ERP.
            El portal de nómina muestra un error de autenticación al entrar.
        """,
        replies="""
            Desbloqueamos su usuario; por favor intente ingresar de nuevo.
            Para dar el permiso necesitamos la aprobación de su jefe inmediato.
            Le enviamos una contraseña temporal al correo; debe cambiarla al ingresar.
        """,
        solutions="""
            Se desbloqueó el usuario y se restableció la contraseña.
            Se otorgaron permisos de lectura y escritura en la carpeta compartida.
            Se creó el usuario con los permisos del cargo y se entregaron las credenciales.
            Se reinstaló el cliente de la VPN y se sincronizó la contraseña.
        """,
        titles="""
            Cómo cambiar su contraseña
            Requisitos de una contraseña segura
            Solicitar acceso a una carpeta compartida
            Conectarse a la VPN desde casa
            Qué hacer si su usuario está bloqueado
        """,
        steps="""
            Presione Ctrl + Alt + Supr y elija Cambiar una contraseña.
            Use al menos doce caracteres, con mayúsculas, minúsculas y números.
            No reutilice contraseñas anteriores ni las comparta con nadie.
            Abra el cliente de la VPN y escriba su usuario de red y su contraseña.
            Espere quince minutos: el bloqueo se levanta solo.
            Pida a su jefe que apruebe la solicitud de permisos por correo.
        """,
        tags="contraseña, usuario, acceso, VPN, permisos, bloqueo, ERP, credenciales",
    ),
    "Impresoras": Topic.of(
        subjects="""
            La impresora no imprime
            Impresora atascada
            Sin tóner en la impresora {lugar}
            La impresora imprime manchado
            No aparece la impresora en mi equipo
            El escáner no envía al correo
            Cambio de tóner
            Impresora sin conexión
            Impresora
            Tóner
            Las impresoras {lugar} no funcionan
        """,
        details="""
            La impresora {lugar} muestra el mensaje de atasco de papel pero no hay ninguna hoja atascada.
            El tóner se acabó y las hojas salen en blanco.
            Las impresiones salen con rayas negras y manchas.
            Mando a imprimir y el documento se queda en la cola de impresión.
            La impresora multifuncional no envía los documentos escaneados al correo.
            Necesito instalar la impresora de {dependencia} en mi portátil.
            La impresora hace un ruido fuerte y no toma las hojas de la bandeja.
            Ninguna de las impresoras {lugar} aparece en la lista de mi equipo.
        """,
        replies="""
            Vamos a enviar un técnico con un tóner nuevo.
            ¿Nos puede indicar el número de serie que aparece en la etiqueta de la impresora?
            Reiniciamos la cola de impresión del servidor; intente imprimir de nuevo.
        """,
        solutions="""
            Se cambió el cartucho de tóner y se imprimió una página de prueba.
            Se retiró el papel atascado del rodillo y se limpió la bandeja.
            Se instaló el controlador de la impresora en el equipo del usuario.
            Se reconfiguró el escaneo al correo con la nueva contraseña.
        """,
        titles="""
            Cómo cambiar el tóner de la impresora
            Qué hacer si el papel se atasca
            Instalar una impresora de red en Windows
            Escanear documentos al correo
            Las impresiones salen manchadas o con rayas
        """,
        steps="""
            Abra la tapa frontal y retire el cartucho de tóner con cuidado.
            Agite el cartucho nuevo de lado a lado antes de instalarlo.
            Retire el papel atascado tirando suavemente en la dirección de salida.
            Vaya a Configuración, Impresoras y escáneres, Agregar una impresora.
            Cancele los documentos que quedaron en la cola de impresión.
            Imprima una página de prueba para confirmar que todo funciona.
        """,
        tags="impresora, tóner, escáner, papel, atasco, cola de impresión, cartucho",
    ),
    "Red e internet": Topic.of(
        subjects="""
            Sin conexión a internet
            Wi-Fi muy lento
            No conecta el Wi-Fi {lugar}
            Cable de red dañado
            Internet intermitente
            No abren algunas páginas web
            Punto de red sin servicio
            Clave del Wi-Fi de invitados
            Internet
            Se cae la red {lugar}
        """,
        details="""
            Desde {desde} no hay internet en la oficina {lugar}; el icono de red aparece con una equis.
            El Wi-Fi se desconecta cada pocos minutos y las videollamadas se cortan.
            La red inalámbrica está muy lenta, una página tarda más de un minuto en cargar.
            El cable de red de mi puesto está roto y no tengo conexión.
            Algunas páginas web no abren y muestran un error de certificado.
            Tenemos visitantes y necesitamos la clave de la red de invitados.
            El punto de red de la sala de juntas no funciona.
        """,
        replies="""
            Estamos revisando el switch de ese piso; hay una falla reportada.
            ¿Podría decirnos si el problema es con cable o por Wi-Fi?
            Le enviamos la clave de invitados por correo; vence a las seis de la tarde.
        """,
        solutions="""
            Se reemplazó el cable de red y se verificó la conexión.
            Se reinició el punto de acceso inalámbrico del piso y la señal volvió a la normalidad.
            Se cambió el puerto del switch que estaba dañado.
            Se actualizó el certificado del proxy y las páginas cargan de nuevo.
        """,
        titles="""
            Qué hacer si no tiene internet
            Conectarse a la red Wi-Fi de la empresa
            Red de invitados: cómo pedir la clave
            El Wi-Fi está lento: revisiones básicas
        """,
        steps="""
            Revise que el cable de red esté conectado y que la luz del puerto esté encendida.
            Desactive y vuelva a activar el Wi-Fi desde la barra de tareas.
            Olvide la red inalámbrica y vuelva a conectarse con su usuario y contraseña.
            Acérquese al punto de acceso o cambie a la red de cinco gigahercios.
            Reinicie el equipo para que tome una nueva dirección IP.
        """,
        tags="red, internet, Wi-Fi, conexión, cable, inalámbrica, redes",
    ),
    "Software y licencias": Topic.of(
        subjects="""
            Instalar Microsoft Office
            Licencia de Excel vencida
            Actualizar el antivirus
            Solicito instalar {programa}
            Error al abrir Word
            Teams no abre
            Licencia de Adobe Acrobat
            Actualizaciones de Windows pendientes
            Licencias de {programa} para el equipo de {dependencia}
        """,
        details="""
            Al abrir Excel sale un mensaje que dice que la licencia expiró.
            Necesito instalar {programa} para mi trabajo en {dependencia}.
            Word se cierra solo cuando intento abrir un documento.
            El antivirus dice que está desactualizado desde hace varios días.
            Teams se queda cargando y no muestra los chats.
            Necesito una licencia de Adobe Acrobat para editar archivos PDF.
            El equipo pide reiniciar para instalar actualizaciones y no termina nunca.
        """,
        replies="""
            La instalación de programas requiere la aprobación de su jefe; por favor adjúntela.
            Vamos a instalar el programa de forma remota esta tarde.
            Renovamos la licencia; cierre sesión y vuelva a entrar.
        """,
        solutions="""
            Se activó la licencia de Microsoft 365 con la cuenta del usuario.
            Se instaló el programa solicitado y se verificó que abre correctamente.
            Se reparó la instalación de Office desde el Panel de control.
            Se borró la caché de Teams y la aplicación funciona.
        """,
        titles="""
            Cómo solicitar la instalación de un programa
            Activar la licencia de Microsoft 365
            Teams no abre: borrar la caché
            Reparar Office cuando Word se cierra solo
        """,
        steps="""
            Cierre todas las aplicaciones de Office antes de empezar.
            Abra el Panel de control, Programas, elija Microsoft 365 y luego Reparar.
            Inicie sesión con su correo institucional para activar la licencia.
            Cierre Teams, borre la carpeta de caché y ábralo de nuevo.
            Adjunte la aprobación de su jefe cuando pida un programa nuevo.
        """,
        tags="software, licencia, Office, Excel, Teams, antivirus, instalación, licencias",
    ),
    "Telefonía": Topic.of(
        subjects="""
            Teléfono sin tono
            La extensión no funciona
            Diadema dañada
            Configurar desvío de llamadas
            No se escucha en las llamadas
            Cambio de extensión
            Teléfono
        """,
        details="""
            El teléfono IP de mi puesto no tiene tono y la pantalla dice sin registro.
            La diadema no funciona, la otra persona no me escucha.
            Necesito que las llamadas de mi extensión se desvíen al celular mientras estoy de vacaciones.
            En las llamadas se escucha un eco muy fuerte.
            Me cambié de puesto y necesito conservar mi extensión.
            El buzón de voz no tiene contraseña y no puedo escuchar los mensajes.
        """,
        replies="""
            Vamos a revisar la configuración de su extensión en la central telefónica.
            ¿Nos confirma el número de la extensión?
        """,
        solutions="""
            Se registró de nuevo el teléfono IP en la central.
            Se cambió la diadema por una nueva.
            Se configuró el desvío de llamadas al celular.
            Se trasladó la extensión al nuevo puesto.
        """,
        titles="""
            Configurar el desvío de llamadas
            Escuchar el buzón de voz
            El teléfono dice sin registro
        """,
        steps="""
            Presione el botón de menú del teléfono y elija Desvío.
            Marque el número al que quiere desviar las llamadas y confirme.
            Desconecte el teléfono de la red diez segundos y vuelva a conectarlo.
            Marque la tecla de mensajes y escriba la contraseña del buzón de voz.
        """,
        tags="teléfono, extensión, diadema, llamadas, buzón de voz",
    ),
    "Mantenimiento locativo": Topic.of(
        subjects="""
            Puerta dañada {lugar}
            Fuga de agua en el baño
            El aire acondicionado no enfría
            Luces fundidas {lugar}
            Chapa de la oficina dañada
            Humedad en la pared
            Tomacorriente sin energía
            Goteras en el techo {lugar}
            Aire acondicionado
        """,
        details="""
            La puerta {lugar} no cierra bien y la chapa está trabada.
            Hay una fuga de agua en el lavamanos del baño del {piso}.
            El aire acondicionado {lugar} no enfría y hace mucho calor en la tarde.
            Hay tres lámparas fundidas en el pasillo y está muy oscuro.
            Apareció una mancha de humedad en la pared junto a la ventana.
            El tomacorriente de mi puesto no tiene energía.
            Cuando llueve entra agua por el techo de la oficina {lugar}.
        """,
        replies="""
            El personal de mantenimiento pasará {cuando}.
            Pedimos el repuesto al proveedor; llega en dos días.
            ¿Nos puede enviar una foto del daño?
        """,
        solutions="""
            Se cambió la chapa de la puerta y se entregaron dos copias de la llave.
            Se reparó la fuga del lavamanos y se cambió el empaque.
            Se hizo mantenimiento al aire acondicionado y se recargó el gas.
            Se reemplazaron las lámparas por luces LED.
            Se impermeabilizó el techo y se pintó la pared.
        """,
        titles="""
            Cómo reportar un daño locativo
            Uso del aire acondicionado en las oficinas
            Qué hacer ante una fuga de agua
        """,
        steps="""
            Tome una foto del daño y anote el lugar exacto.
            Si hay agua cerca de los tomacorrientes, aléjese y avise de inmediato.
            Mantenga puertas y ventanas cerradas cuando el aire acondicionado esté encendido.
            Programe el aire acondicionado a veintitrés grados.
        """,
        tags="mantenimiento, puerta, chapa, aire acondicionado, agua, luces, electricidad, humedad",
    ),
    "Aseo": Topic.of(
        subjects="""
            Solicitud de aseo {lugar}
            Baño sin papel higiénico
            Basura sin recoger
            Derrame de café en la alfombra
            Limpieza de la sala de juntas
            Falta jabón en los baños
        """,
        details="""
            Los baños del {piso} no tienen papel higiénico ni jabón.
            La basura de la oficina {lugar} no se ha recogido desde {desde}.
            Se regó café sobre la alfombra {lugar} y quedó una mancha.
            Necesitamos limpieza de la sala de juntas antes de la reunión de las diez.
            Hay mal olor en la cocineta.
        """,
        replies="""
            Enviamos a una persona de aseo en este momento.
            Ya informamos a la empresa de aseo.
        """,
        solutions="""
            Se limpió la alfombra y se retiró la mancha.
            Se surtieron los baños con papel higiénico, jabón y toallas.
            Se recogió la basura y se reforzó la ruta de aseo.
        """,
        titles="""
            Horarios de aseo de las oficinas
            Cómo separar los residuos
        """,
        steps="""
            Use la caneca blanca para papel y cartón, y la verde para residuos orgánicos.
            Reporte los derrames de inmediato para evitar manchas.
        """,
        tags="aseo, limpieza, baños, basura, residuos",
    ),
    "Transporte": Topic.of(
        subjects="""
            Solicitud de vehículo
            Transporte para diligencia
            Traslado al aeropuerto
            Vehículo para visita a cliente en {ciudad}
            Cancelar reserva de vehículo
        """,
        details="""
            Necesito un vehículo el {dia} a las {hora} para ir a una reunión con un cliente.
            Solicito transporte para llevar documentos a la notaría.
            Tengo un vuelo a {ciudad} el {dia} y necesito traslado al aeropuerto.
            Somos cuatro personas y vamos a la sede norte.
            Ya no necesito el vehículo que reservé para mañana.
        """,
        replies="""
            El vehículo está confirmado; el conductor lo espera en la portería.
            No hay vehículos disponibles a esa hora; ¿le sirve una hora más tarde?
        """,
        solutions="""
            Se asignó el vehículo y el conductor confirmó la hora de salida.
            Se canceló la reserva del vehículo.
        """,
        titles="""
            Cómo reservar un vehículo
            Política de transporte para diligencias
        """,
        steps="""
            Pida el vehículo con al menos un día de anticipación.
            Indique la dirección, la hora y el número de pasajeros.
        """,
        tags="transporte, vehículo, conductor, traslado",
    ),
    "Cafetería": Topic.of(
        subjects="""
            Servicio de cafetería para reunión
            Refrigerios para capacitación
            Cafetera dañada {lugar}
            Falta agua en el dispensador
        """,
        details="""
            Necesitamos café y agua para quince personas el {dia} a las {hora}.
            Solicito refrigerios para una capacitación de todo el día en el auditorio.
            La cafetera del {piso} no calienta el agua.
            El dispensador de agua está vacío.
        """,
        replies="""
            Confirmamos el servicio de cafetería para su reunión.
        """,
        solutions="""
            Se atendió el servicio de cafetería en la sala de juntas.
            Se cambió el botellón del dispensador de agua.
            Se reparó la cafetera.
        """,
        titles="""
            Cómo pedir servicio de cafetería para una reunión
        """,
        steps="""
            Pida el servicio con dos días de anticipación e indique cuántas personas asisten.
        """,
        tags="cafetería, café, refrigerios, reunión, agua",
    ),
    "Mobiliario": Topic.of(
        subjects="""
            Silla dañada
            Escritorio con cajón roto
            Traslado de archivador {lugar}
            Solicitud de silla ergonómica
            Mover puestos de trabajo
            Sillas rotas {lugar}
            Silla
        """,
        details="""
            La silla de mi puesto tiene una rueda rota y no sube ni baja.
            El cajón del escritorio no abre y adentro están mis documentos.
            Necesitamos trasladar dos archivadores de la oficina {lugar} al {piso}.
            Por recomendación médica necesito una silla ergonómica.
            Vamos a reorganizar la oficina y hay que mover seis escritorios.
        """,
        replies="""
            Vamos a revisar la silla; si no tiene arreglo la cambiamos.
        """,
        solutions="""
            Se cambió la silla por una nueva.
            Se reparó el cajón del escritorio y se cambió la cerradura.
            Se trasladaron los archivadores al piso indicado.
        """,
        titles="""
            Cómo ajustar su silla de trabajo
            Solicitar el traslado de muebles
        """,
        steps="""
            Ajuste la altura de la silla para que los pies queden apoyados en el piso.
            Desocupe los cajones antes del traslado.
        """,
        tags="silla, escritorio, archivador, muebles, traslado, sillas",
    ),
    "Correspondencia": Topic.of(
        subjects="""
            Envío de paquete a la sede de {ciudad}
            Recepción de documentos
            El paquete no ha llegado
            Enviar correspondencia certificada
        """,
        details="""
            Necesito enviar un paquete a la sede de {ciudad} antes del viernes.
            Me dijeron que llegó un sobre a mi nombre pero no lo he recibido.
            El paquete que enviamos hace una semana no ha llegado a {ciudad}.
            Tengo que enviar una carta certificada a un proveedor.
        """,
        replies="""
            El paquete salió hoy con la transportadora; le enviamos la guía.
        """,
        solutions="""
            Se entregó el sobre en el puesto del usuario.
            Se envió el paquete por correo certificado y se compartió el número de guía.
        """,
        titles="""
            Cómo enviar documentos a otra sede
        """,
        steps="""
            Entregue el sobre en la recepción antes de las tres de la tarde con los datos del destinatario.
        """,
        tags="correspondencia, paquete, sobre, envío, guía",
    ),
}
FILLS = {
    "lugar": _lines("""
        de contabilidad
        del segundo piso
        de la recepción
        de la sala de juntas
        de tesorería
        de recursos humanos
        de la bodega
        del auditorio
        de gerencia
        de la oficina 305
        del área comercial
        de jurídica
        de compras
        del tercer piso
        de la sede norte
    """),
    "dependencia": _lines("""
        contabilidad
        tesorería
        recursos humanos
        compras
        jurídica
        gerencia
        mercadeo
        cartera
        nómina
        servicio al cliente
    """),
    "piso": ("primer piso", "segundo piso", "tercer piso", "cuarto piso", "sótano"),
    "desde": ("ayer", "esta mañana", "el lunes", "la semana pasada", "hace tres días", "el viernes"),
    "cuando": ("esta tarde", "mañana en la mañana", "en una hora", "antes del mediodía"),
    "dia": ("lunes", "martes", "miércoles", "jueves", "viernes"),
    "hora": ("ocho de la mañana", "diez y media", "dos de la tarde", "cuatro de la tarde"),
    "ciudad": ("Bogotá", "Medellín", "Cali", "Barranquilla", "Bucaramanga", "Cartagena", "Pereira", "Manizales"),
    "programa": ("Power BI", "AutoCAD", "Zoom", "SAP", "Project", "Visio", "SPSS"),
}
OPENERS = ("Buenos días.", "Buenas tardes.", "Hola.", "Cordial saludo.", "Buen día, cómo están.")
SINCE = ("Esto pasa desde {desde}.", "El problema empezó {desde}.", "Lo noté {desde} y sigue igual.")
IMPACTS = _lines("""
    No puedo trabajar así.
    Es urgente porque hoy cerramos el mes.
    Afecta a todo el equipo de {dependencia}.
    Ya reinicié el equipo y sigue igual.
    Ya lo intenté varias veces y nada.
    Tengo una reunión a las {hora} y lo necesito antes.
    No es urgente, pero sí molesto.
    A mis compañeros les pasa lo mismo.
""")
CLOSERS = ("Gracias.", "Muchas gracias.", "Quedo atento.", "Quedo atenta.", "Agradezco su pronta ayuda.")
REPLIES = (
    "Estamos revisando su caso.",
    "Recibimos su solicitud y ya la estamos atendiendo.",
    "Gracias por el reporte; le avisamos apenas tengamos novedades.",
)
FOLLOW_UPS = (
    "Sigue igual, por favor ayúdenme.",
    "Ya funciona, muchas gracias.",
    "Estaré en mi puesto toda la tarde.",
    "Adjunto la foto del error.",
)
NOTES = _lines("""
    Pendiente confirmar con el proveedor.
    Se escaló al segundo nivel.
    El usuario no contesta la extensión; intentar mañana.
    Equipo en garantía: revisar con el proveedor antes de abrirlo.
    Parece el mismo daño del mes pasado en ese piso.
""")
ARTICLE_STEPS = _lines("""
    Guarde su trabajo antes de reiniciar el equipo.
    Anote el mensaje de error exacto o tome una captura de pantalla.
    Revise si a sus compañeros les pasa lo mismo.
""")
ARTICLE_TIPS = _lines("""
    La Mesa de Servicio atiende de lunes a viernes de siete de la mañana a seis de la tarde.
    Si el problema afecta a varias personas, indíquelo en el caso: se atiende con prioridad.
    Con una foto o una captura de pantalla el técnico puede diagnosticar más rápido.
    Recuerde que nadie de la Mesa de Servicio le pedirá su contraseña por correo ni por teléfono.
    Los casos registrados fuera del horario se atienden el siguiente día hábil.
    Indique siempre el número de inventario del equipo, que está en la etiqueta de la parte inferior.
    Puede seguir el avance de su caso en Verificar mis Casos.
    Esta guía sirve para los equipos de todas las sedes.
""")
TITLE_ENDINGS = ("", "", "", " paso a paso", " (guía rápida)", " en Windows 11", " para nuevos empleados")
FIRST_NAMES = _words(
    """
    María José Juan Carlos Ana Luis Andrea Jorge Camila Andrés Valentina Diego Laura Felipe Daniela Sebastián
    Paula Santiago Natalia Alejandro Carolina Mateo Sofía Julián Mariana Camilo Catalina David Juliana Ricardo
    Lucía Manuel Isabel Javier Gabriela Óscar Ángela Héctor Diana Fernando Marcela Nicolás Verónica Esteban
    """
)
SURNAMES = _words(
    """
    Gómez Rodríguez González Martínez López García Pérez Sánchez Ramírez Torres Díaz Vargas Rojas Moreno
    Jiménez Muñoz Castro Herrera Ortiz Suárez Romero Álvarez Ruiz Mendoza Castillo Guerrero Ospina Cárdenas
    Restrepo Londoño Quintero Zapata Cortés Peña Salazar Mejía Acosta Parra Ríos Beltrán Nieto Patiño Arango
    """
)
ALL_TOPICS = tuple(TOPICS.values())


class _Fill(dict):
    """The values of a text's {placeholders}: each a random one of FILLS, the same one throughout the text."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng

    def __missing__(self, key: str) -> str:
        value = self[key] = self.rng.choice(FILLS[key])
        return value


def _say(rng: random.Random, *templates: str) -> str:
    fill = _Fill(rng)
    return " ".join(template.format_map(fill) for template in templates)


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"


def case_subject(rng: random.Random, topic: Topic) -> str:
    return _say(rng, rng.choice(topic.subjects))


def case_description(rng: random.Random, topic: Topic) -> str:
    """One to four sentences: what happens, and perhaps a greeting before it, another detail, since when,
    what it affects, thanks."""
    count = rng.choices((1, 2, 3, 4), (20, 35, 30, 15))[0]
    opener, *after = (
        rng.choice(OPENERS),
        rng.choice(topic.details),
        rng.choice(SINCE),
        rng.choice(IMPACTS),
        rng.choice(CLOSERS),
    )
    chosen = set(rng.sample(range(5), count - 1))
    sentences = [opener] if 0 in chosen else []
    sentences.append(rng.choice(topic.details))
    sentences += [sentence for i, sentence in enumerate(after, 1) if i in chosen]
    return _say(rng, *sentences)


def article_text(rng: random.Random, topic: Topic) -> tuple[str, str, str]:
    """(title, Markdown body of 100 to 400 words, tags) of a knowledge-base article about the topic."""
    title = _say(rng, rng.choice(topic.titles)) + rng.choice(TITLE_ENDINGS)
    steps = rng.sample(topic.steps + ARTICLE_STEPS, min(len(topic.steps) + len(ARTICLE_STEPS), rng.randint(3, 7)))
    body = "\n\n".join(
        (
            "## Cuándo usar esta guía",
            _say(rng, *rng.sample(topic.details, min(2, len(topic.details)))),
            "## Pasos",
            "\n".join(f"{number}. {step}" for number, step in enumerate(steps, 1)),
            "## Lo que hace la Mesa de Servicio",
            " ".join(rng.sample(topic.solutions, min(2, len(topic.solutions)))),
            "## Si el problema continúa",
            "Registre un caso en Registrar un Caso con el detalle de lo que ya intentó.",
        )
    )
    target, words = rng.randint(100, 400), len(body.split())
    pool = rng.sample(topic.details + ARTICLE_TIPS, len(topic.details) + len(ARTICLE_TIPS))
    notes = []
    while words < target:
        notes.append(_say(rng, pool[len(notes) % len(pool)]))
        words += len(notes[-1].split()) + 1
    if notes:
        body += "\n\n## Tenga en cuenta\n\n" + "\n".join(f"- {note}" for note in notes)
    tags = ", ".join(rng.sample(topic.tags, rng.randint(2, min(4, len(topic.tags)))))
    return title, body, tags


# ---------------------------------------------------------------- the desk


def _progress(label: str) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r{label:9} [{'#' * filled}{'.' * (width - filled)}] {done:>9,}/{total:,}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return report


def generate(
    engine: sa.Engine, *, cases: int, users: int, articles: int = 0, seed: int = 7, quiet: bool = False
) -> dict[str, int]:
    """Add `users` users, `cases` cases (with events, messages, surveys, attachments' metadata and their
    search documents) and `articles` published knowledge-base articles. The cases are requested by the
    desk's employees and managers and assigned to its advisors: the new synthetic ones and any already there."""
    # The desk (people, dates, statuses) from one generator, its words from another: rewording the texts
    # leaves the same desk for the same seed.
    rng, words = random.Random(seed), random.Random(seed + 1)
    report = (lambda label: lambda done, total: None) if quiet else _progress
    with unit_of_work(engine) as session:
        seed_demo_catalogue(session=session)
        areas = session.scalars(sa.select(Area).order_by(Area.id)).all()
        options = {
            a.id: session.execute(
                sa.select(ServiceOption.id, ServiceOption.name)
                .where(ServiceOption.area_id == a.id)
                .order_by(ServiceOption.id)
            ).all()
            for a in areas
        }
        first_user = (session.scalar(sa.select(sa.func.max(User.id))) or 0) + 1
        first_case = (session.scalar(sa.select(sa.func.max(Case.id))) or 0) + 1
        first_number = session.scalar(sa.select(Counter.value).where(Counter.name == "case_number")) or 0

    password = hash_password(SYNTHETIC_PASSWORD)
    advisors_per_area = max(1, users // 50)
    now = utcnow()
    user_rows, advisor_rows = [], []
    for i in range(users):
        uid = first_user + i
        area = areas[i % len(areas)]
        role = (
            Role.ADVISOR if i < advisors_per_area * len(areas) else (Role.MANAGER if i % 500 == 499 else Role.EMPLOYEE)
        )
        user_rows.append(
            {
                "id": uid,
                "username": f"usuario{uid}.sintetico",
                "full_name": person_name(words),
                "email": f"usuario{uid}@example.org",
                "role": role,
                "password_hash": password,
                "active": True,
                "must_change_password": False,
                "password_changed_at": now,
                "failed_logins": 0,
                "theme": "light",
                "language": "es",
                "created_at": now - timedelta(days=1200),
            }
        )
        if role == Role.ADVISOR:
            advisor_rows.append({"user_id": uid, "area_id": area.id})
    with engine.begin() as conn:
        for start in range(0, len(user_rows), CHUNK):
            conn.execute(sa.insert(User), user_rows[start : start + CHUNK])
        if advisor_rows:
            conn.execute(sa.insert(advisor_areas), advisor_rows)
        requesters = conn.scalars(
            sa.select(User.id).where(User.role.in_((Role.EMPLOYEE, Role.MANAGER)), User.active).order_by(User.id)
        ).all()
        advisors = {a.id: [] for a in areas}
        for user_id, area_id in conn.execute(
            sa.select(advisor_areas.c.user_id, advisor_areas.c.area_id).order_by(advisor_areas.c.user_id)
        ):
            advisors.setdefault(area_id, []).append(user_id)

    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    urgencies = list(Urgency)
    tick = report("casos")
    done = 0
    case_id, number = first_case, first_number
    span = 3 * 365 * 24 * 3600
    while done < cases:
        batch = min(CHUNK, cases - done)
        case_rows, event_rows, message_rows, survey_rows, attachment_rows = [], [], [], [], []
        for _ in range(batch):
            area = rng.choice(areas)
            option_id, option_name = rng.choice(options[area.id])
            topic = TOPICS.get(option_name) or words.choice(ALL_TOPICS)
            urgency = rng.choice(urgencies)
            created = now - timedelta(seconds=rng.randint(3600, span))
            # A desk keeps up: cases of the last three weeks are in every status; older ones are closed.
            status = rng.choices(statuses, weights)[0] if now - created < RECENT else Status.CLOSED
            requester = rng.choice(requesters)
            assignee = rng.choice(advisors[area.id]) if status != Status.NEW and advisors[area.id] else None
            resolved = (
                created + timedelta(hours=rng.uniform(0.5, 96)) if status in (Status.RESOLVED, Status.CLOSED) else None
            )
            closed = resolved + timedelta(days=rng.uniform(0, 5)) if status == Status.CLOSED else None
            last = closed or resolved or created + timedelta(hours=rng.uniform(0, 48))
            number += 1
            case_rows.append(
                {
                    "id": case_id,
                    "number": number,
                    "area_id": area.id,
                    "option_id": option_id,
                    "requester_id": requester,
                    "assignee_id": assignee,
                    "subject": case_subject(words, topic),
                    "description": case_description(words, topic),
                    "urgency": urgency,
                    "status": status,
                    "created_at": created,
                    "status_changed_at": last,
                    "last_activity_at": last,
                    "first_response_at": created + timedelta(minutes=rng.randint(5, 600)) if assignee else None,
                    "due_at": created + timedelta(hours=DEFAULT_SLA_HOURS[urgency]),
                    "resolved_at": resolved,
                    "closed_at": closed,
                    "closed_without_answer": False,
                    "solution": _say(words, words.choice(topic.solutions)) if resolved else None,
                    "reopen_count": 0,
                    "version": 1,
                }
            )
            event_rows.append(
                {
                    "case_id": case_id,
                    "actor_id": requester,
                    "kind": "registered",
                    "detail": {},
                    "internal": False,
                    "created_at": created,
                }
            )
            if assignee:
                said = [(assignee, _say(words, words.choice(topic.replies + REPLIES)), False, 30)]
                if words.random() < 0.2:
                    said.append((requester, words.choice(FOLLOW_UPS), False, 120))
                if words.random() < 0.15:
                    said.append((assignee, words.choice(NOTES), True, 90))
                message_rows += [
                    {
                        "case_id": case_id,
                        "author_id": author,
                        "body": body,
                        "internal": internal,
                        "created_at": created + timedelta(minutes=minutes),
                    }
                    for author, body, internal, minutes in said
                ]
            if status == Status.CLOSED and rng.random() < 0.6:
                survey_rows.append(
                    {
                        "case_id": case_id,
                        "resolution_round": 1,
                        "answered_by_id": requester,
                        "resolved": True,
                        "rating": rng.choices([1, 2, 3, 4, 5], [3, 4, 10, 35, 48])[0],
                        "rating_comment": f"Comentario sintético {number}" if rng.random() < 0.15 else None,
                        "created_at": closed,
                        "rated_at": closed,
                    }
                )
            if rng.random() < 0.2:
                attachment_rows.append(
                    {
                        "case_id": case_id,
                        "uploaded_by_id": requester,
                        "original_name": "evidencia.png",
                        "description": "",
                        "content_type": "image/png",
                        "size_bytes": rng.randint(2_000, 900_000),
                        "content_hash": f"{case_id:064x}",
                        "internal": False,
                        "created_at": created,
                    }
                )
            case_id += 1
        with engine.begin() as conn:
            conn.execute(sa.insert(Case), case_rows)
            conn.execute(sa.insert(CaseEvent), event_rows)
            if message_rows:
                conn.execute(sa.insert(CaseMessage), message_rows)
            if survey_rows:
                conn.execute(sa.insert(SurveyAnswer), survey_rows)
            if attachment_rows:
                conn.execute(sa.insert(Attachment), attachment_rows)
            # Bulk inserts bypass the session events that keep the search documents: written here, in bulk,
            # with what services.search says each case's documents hold.
            conn.execute(
                sa.insert(SearchDoc),
                [
                    {
                        "case_id": doc_case,
                        "kind": kind,
                        "requester_id": requester_id,
                        "area_id": area_id,
                        "title": title,
                        "body": body,
                        "people": people,
                        "scope": scope,
                        "updated_at": now,
                    }
                    for (doc_case, kind), (requester_id, area_id, title, body, people, scope) in search.documents(
                        conn, [row["id"] for row in case_rows]
                    ).items()
                ],
            )
        done += batch
        tick(done, cases)
    with engine.begin() as conn:
        conn.execute(sa.update(Counter).where(Counter.name == "case_number").values(value=number))
    report("informes")(0, 1)
    report_days.rebuild(engine)  # bulk inserts bypass the ORM that keeps the daily report table
    report("informes")(1, 1)
    _add_articles(engine, articles, random.Random(seed + 2), areas, options, advisors, now, report("artículos"))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # ids were given explicitly: move the sequences past them
            for table in (User, Case, CaseEvent, CaseMessage, SurveyAnswer, Attachment, Article):
                name = table.__tablename__
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"
                )
    # Fresh statistics for the planner (and, on PostgreSQL, a visibility map for index-only scans).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
    return {"users": users, "cases": cases, "articles": articles, "last_number": number}


def _add_articles(
    engine: sa.Engine,
    count: int,
    rng: random.Random,
    areas: list[Area],
    options: dict[int, list],
    advisors: dict[int, list[int]],
    now: datetime,
    tick: Callable[[int, int], None],
) -> None:
    """`count` published articles, each with its one version, written by an advisor of its area; one in
    ten for the staff only, one in twenty of no area. Their word index follows them (database triggers)."""
    if not count:
        return
    writers = [user_id for area in areas for user_id in advisors.get(area.id, [])]
    if not writers:
        raise ValueError("articles need an advisor to write them: generate users first")
    with engine.connect() as conn:
        first = (conn.scalar(sa.select(sa.func.max(Article.id))) or 0) + 1
    span = 3 * 365 * 24 * 3600
    for start in range(0, count, CHUNK):
        article_rows, version_rows = [], []
        for article_id in range(first + start, first + min(count, start + CHUNK)):
            area = rng.choice(areas)
            option_id, option_name = rng.choice(options[area.id])
            title, body, tags = article_text(rng, TOPICS.get(option_name) or rng.choice(ALL_TOPICS))
            general = rng.random() < 0.05
            created = now - timedelta(seconds=rng.randint(3600, span))
            published = created + timedelta(hours=rng.uniform(0.1, 48))
            views = int(rng.paretovariate(1.2) * 10)
            helpful = rng.randint(0, views // 5)
            text = {
                "title": title,
                "body": body,
                "tags": tags,
                "audience": INTERNAL if rng.random() < 0.1 else PUBLIC,
                "area_id": None if general else area.id,
                "option_id": None if general else option_id,
            }
            author = rng.choice(advisors.get(area.id) or writers)
            article_rows.append(
                {
                    "id": article_id,
                    **text,
                    "status": PUBLISHED,
                    "published_version": 1,
                    "views": views,
                    "helpful": helpful,
                    "not_helpful": rng.randint(0, max(1, helpful // 4)),
                    "created_by_id": author,
                    "created_at": created,
                    "updated_at": published,
                    "published_at": published,
                    "version": 1,
                }
            )
            version_rows.append(
                {
                    "article_id": article_id,
                    "number": 1,
                    **text,
                    "author_id": author,
                    "created_at": created,
                    "published_at": published,
                }
            )
        with engine.begin() as conn:
            conn.execute(sa.insert(Article), article_rows)
            conn.execute(sa.insert(ArticleVersion), version_rows)
        tick(min(count, start + CHUNK), count)
