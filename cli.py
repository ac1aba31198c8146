"""Command line of the desk: migrate, create-user, seed-demo, worker, status, backup, restore (and more)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from models.enums import Role
from services import i18n, ops, users
from services.db import make_engine, unit_of_work
from services.errors import ServiceError
from services.migrate import upgrade
from services.settings import SettingsError, load_settings


def _engine():
    engine = make_engine(load_settings().database_url)
    upgrade(engine)
    return engine


def cmd_migrate(_args) -> int:
    _engine()
    print("Migraciones aplicadas.")
    return 0


def cmd_create_user(args) -> int:
    with unit_of_work(_engine()) as session:
        created = users.create_user(
            session=session,
            actor=users.Actor.system(),
            username=args.username,
            full_name=args.full_name,
            email=args.email,
            role=args.role,
            password=args.password,
            area_names=tuple(args.area or ()),
            must_change_password=args.must_change_password,
        )
    print(f"Usuario creado: {created.username} ({i18n.t('role.' + created.role)}).")
    return 0


def cmd_seed_demo(_args) -> int:
    with unit_of_work(_engine()) as session:
        demo = users.seed_demo(session=session)
    print("Catálogo de demostración cargado.")
    for person in demo:
        print(f"  {person.username:15} {i18n.t('role.' + person.role):13} clave: {person.password}")
    if not demo:
        print("  (los usuarios de demostración ya existían; sus claves no cambiaron)")
    with unit_of_work(_engine(), write=False) as session:
        if users.needs_setup(session=session):
            print(
                "Aviso: la mesa aún no tiene administrador. Créelo con `python cli.py create-user --role admin …`;"
                " mientras no exista, la primera visita ofrece la configuración inicial."
            )
    return 0


def cmd_generate(args) -> int:
    from bench.generate import SYNTHETIC_PASSWORD, generate

    result = generate(_engine(), cases=args.cases, users=args.users)
    print(
        f"Generados {result['cases']:,} casos y {result['users']:,} usuarios sintéticos "
        f"(clave de todos: {SYNTHETIC_PASSWORD})."
    )
    return 0


def cmd_rebuild_reports(_args) -> int:
    from services import report_days

    rows = report_days.rebuild(_engine())
    print(f"Informes recalculados: {rows:,} filas diarias.")
    return 0


def cmd_worker(args) -> int:
    """Deliver the outbox (and run the periodic jobs) apart from the app; safe beside it."""
    from services import jobs, outbox

    config = load_settings()
    engine = _engine()
    if not config.smtp_host:
        print("Aviso: MESA_SMTP_HOST no está configurado; los correos esperan en la bandeja de salida.")
    periodic = jobs.periodic_jobs(config)
    if args.once:
        for job in periodic:
            job(engine)
        report = outbox.deliver_pending(engine, config)
        print(f"Enviados: {report.sent}; fallidos (se reintentarán): {report.failed}.")
        return 0
    sender = outbox.BackgroundSender(engine, config, interval=args.interval, jobs=periodic)
    sender.daemon = False
    signal.signal(signal.SIGTERM, lambda *_: sender.stopping.set())
    sender.start()
    print(f"Trabajador en marcha ({outbox.sender_name()}); Ctrl+C para detenerlo.")
    try:
        while sender.is_alive():
            sender.join(1)
    except KeyboardInterrupt:
        sender.stop()
    return 0


# What each status reads as, and the exit code a monitor gets for it.
STATUS_WORDS = {ops.OK: "bien", ops.DEGRADED: "con problemas", ops.DOWN: "sin servicio"}
STATUS_EXIT = {ops.OK: 0, ops.DEGRADED: 1, ops.DOWN: 2}


def _why(error: str | None) -> str:
    return f" ({error})" if error else ""


def _status_lines(health: ops.Health) -> list[str]:
    database, folder, mail = health.database, health.data_folder, health.outbox
    latency = f" ({database.latency_ms:.0f} ms)" if database.latency_ms is not None else ""
    if mail.pending is None:
        mail_detail = _why(mail.error)
    else:
        oldest = mail.oldest_pending_seconds
        mail_detail = f" — {mail.pending} pendientes" + (
            f", el más antiguo de hace {oldest // 60} min" if oldest else ""
        )
        mail_detail += f"; {mail.retrying} en reintento; {mail.failed_last_hour} fallidos en la última hora"
    return [
        f"Base de datos: {STATUS_WORDS[database.status]}{latency}{_why(database.error)}",
        f"Carpeta de datos: {STATUS_WORDS[folder.status]}{_why(folder.error)}",
        f"Correo saliente: {STATUS_WORDS[mail.status]}{mail_detail}",
        f"Estado de la mesa: {STATUS_WORDS[health.status]}",
    ]


def cmd_status(args) -> int:
    """The health a load balancer reads at /_mesa/salud; exit 0 ok, 1 with problems, 2 out of service."""
    try:
        config = load_settings()
    except SettingsError as exc:
        print(f"Error de configuración: {exc}", file=sys.stderr)
        return STATUS_EXIT[ops.DOWN]
    health = ops.check(config)
    if args.json:
        print(json.dumps(health.as_dict(), ensure_ascii=False))
    else:
        print("\n".join(_status_lines(health)))
    return STATUS_EXIT[health.status]


def _mb(size: int) -> str:
    return f"{size / 1048576:.1f} MB"


def cmd_backup(args) -> int:
    """Exit 0: a complete backup; 3: complete, but the desk itself lacks some attachment files."""
    report = ops.backup(load_settings(), Path(args.dest), progress=print)
    print(
        f"Copia completa en {report.folder} ({report.database_kind}, revisión {report.revision}): "
        f"{report.rows:,} filas en {report.tables} tablas, {report.files:,} adjuntos ({_mb(report.file_bytes)}), "
        f"{report.seconds:.1f} s."
    )
    if report.missing_files:
        print(f"Aviso: {len(report.missing_files)} adjuntos ya faltaban en la mesa; la copia no los tiene.")
        return 3
    return 0


def cmd_restore(args) -> int:
    """Exit 0: restored and verified; 3: verified, but attachments missing since the backup was taken."""
    report = ops.restore(load_settings(), Path(args.src), force=args.force, progress=print)
    print(
        f"Restauración verificada ({report.database_kind}, revisión {report.revision}): "
        f"{report.rows:,} filas en {report.tables} tablas, {report.files:,} adjuntos ({_mb(report.file_bytes)}), "
        f"{report.seconds:.1f} s."
    )
    if report.revision != report.head_revision:
        print(
            f"La copia está en la revisión {report.revision}; esta versión usa {report.head_revision}: ejecute "
            "`python cli.py migrate` antes de abrir la mesa."
        )
    if report.missing_files:
        print(f"Aviso: {len(report.missing_files)} adjuntos ya faltaban cuando se hizo la copia.")
        return 3
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cli.py", description="Mesa de Servicio: tareas de administración.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="aplica las migraciones de la base de datos").set_defaults(func=cmd_migrate)
    create = sub.add_parser("create-user", help="crea un usuario")
    create.add_argument("--username", required=True)
    create.add_argument("--full-name", required=True)
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--password", required=True)
    create.add_argument("--area", action="append", help="área del asesor (se puede repetir)")
    create.add_argument("--must-change-password", action="store_true", help="exige cambiar la clave al ingresar")
    create.set_defaults(func=cmd_create_user)
    sub.add_parser("seed-demo", help="carga el catálogo y los usuarios de demostración").set_defaults(
        func=cmd_seed_demo
    )
    worker = sub.add_parser(
        "worker", help="envía los correos pendientes, lee el buzón (MESA_IMAP_HOST) y corre las tareas periódicas"
    )
    worker.add_argument("--once", action="store_true", help="envía lo pendiente una vez y termina")
    worker.add_argument("--interval", type=float, default=5.0, help="segundos entre rondas")
    worker.set_defaults(func=cmd_worker)
    generate = sub.add_parser("generate", help="llena la base con datos sintéticos (pruebas de rendimiento)")
    generate.add_argument("--cases", type=int, required=True)
    generate.add_argument("--users", type=int, default=2000)
    generate.set_defaults(func=cmd_generate)
    sub.add_parser(
        "rebuild-reports", help="recalcula las cifras diarias de Satisfacción (tras cambiar MESA_TIMEZONE)"
    ).set_defaults(func=cmd_rebuild_reports)
    status = sub.add_parser(
        "status", help="dice si la base de datos, la carpeta de datos y el correo saliente están bien (0, 1 o 2)"
    )
    status.add_argument("--json", action="store_true", help="la respuesta de /_mesa/salud, en JSON")
    status.set_defaults(func=cmd_status)
    backup = sub.add_parser(
        "backup", help="copia la base de datos y los adjuntos en una carpeta nueva, con la mesa en marcha"
    )
    backup.add_argument("dest", metavar="CARPETA", help="carpeta nueva (o vacía) para la copia")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser(
        "restore", help="restaura una copia en la base de datos y la carpeta de datos configuradas (vacías)"
    )
    restore.add_argument("src", metavar="CARPETA", help="carpeta de una copia hecha con `backup`")
    restore.add_argument(
        "--force", action="store_true", help="restaura aunque la base de destino tenga usuarios o casos (los reemplaza)"
    )
    restore.set_defaults(func=cmd_restore)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SettingsError as exc:
        print(f"Error de configuración: {exc}", file=sys.stderr)
    except ServiceError as exc:
        print(f"Error: {i18n.t(exc.key, **exc.params)}", file=sys.stderr)
    except ops.Refused as exc:
        print(f"No se hizo nada: {exc}", file=sys.stderr)
    except ops.Failed as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
