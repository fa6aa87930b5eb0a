"""``wufei create-token --user USERNAME --name NAME [--device SERIAL] [--days N]``

Issues an API token for an enterprise system or a device and prints its key once: the key
alone on standard output (so ``KEY=$(wufei create-token ...)`` works), the explanation on
standard error. Only the key's hash is stored; a lost key cannot be shown again.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.accounts.models import User
from wufei.accounts.services import api_token_create
from wufei.core.errors import WufeiError
from wufei.registry.models import Device


class Command(BaseCommand):
    help = "为用户（可绑定设备）签发 API 令牌，密钥只显示一次 / Issue an API token."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, metavar="USERNAME", help="令牌所属用户")
        parser.add_argument("--name", required=True, help="令牌名称，如“企业 ERP 对接”")
        parser.add_argument("--device", metavar="SERIAL", help="绑定的设备编号（可选）")
        parser.add_argument("--days", type=int, metavar="N", help="有效天数（默认长期有效）")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["user"]).first()
        if user is None or not user.is_active:
            raise CommandError(_("用户 “%(name)s” 不存在或已停用。") % {"name": options["user"]})
        device = None
        if options["device"]:
            device = Device.objects.filter(serial=options["device"]).first()
            if device is None:
                raise CommandError(_("设备 “%(serial)s” 不存在。") % {"serial": options["device"]})
        days = options["days"]
        if days is not None and days <= 0:
            raise CommandError(_("有效天数必须为正整数。"))
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            # Issued by the system: the operator at the shell is trusted (change log: no actor).
            token, key = api_token_create(
                actor=None, user=user, name=options["name"], device=device, expires_at=expires_at
            )
        except WufeiError as exc:
            raise CommandError(
                _("无法签发令牌：%(reason)s（设备须属于该用户的单位）") % {"reason": exc.message}
            ) from exc
        until = (
            _("至 %(time)s") % {"time": timezone.localtime(expires_at).strftime("%Y-%m-%d %H:%M")}
            if expires_at
            else _("长期有效")
        )
        self.stderr.write(
            _(
                "已为用户 %(user)s 签发令牌“%(name)s”（前缀 %(prefix)s，有效期：%(until)s）。"
                "密钥只显示这一次，请妥善保存；请求头：Authorization: Token <密钥>"
            )
            % {"user": user.username, "name": token.name, "prefix": token.prefix, "until": until}
        )
        self.stdout.write(key)
