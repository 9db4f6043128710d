"""Chinese for the words Typer prints itself: usage errors and help headings.

Typer (0.29) carries its own copy of Click with English messages built in f-strings, so
they are translated where they are shown: ``rich_format_error`` and the usage line.
"""

from __future__ import annotations

import re

import typer.core as typer_core
import typer.rich_utils as rich_utils
from typer._click import decorators, formatting

_PATTERNS = [
    (r"^Missing option '(.+)'\.(.*)$", r"缺少选项 '\1'。\2"),
    (r"^Missing argument '(.+)'\.(.*)$", r"缺少参数 '\1'。\2"),
    (r"^Missing parameter: (.+)$", r"缺少参数：\1"),
    (r"^No such option: (\S+)(.*)$", r"没有选项 \1。\2"),
    (r"^No such command '(.+)'\.$", r"没有命令 '\1'。"),
    (r"^Missing command\.$", "缺少命令。"),
    (r"^Got unexpected extra arguments? \((.*)\)$", r"多余的参数（\1）"),
    (r"^Option '(.+)' requires an argument\.$", r"选项 '\1' 需要取值。"),
    (r"^Option '(.+)' requires (\d+) arguments\.$", r"选项 '\1' 需要 \2 个取值。"),
    (r"^Option '(.+)' does not take a value\.$", r"选项 '\1' 不接受取值。"),
    (r"^Invalid value for (.+?): (.*)$", r"\1 的值无效：\2"),
    (r"Value '(.*)' is not a valid integer\.", r"'\1' 不是整数。"),
    (r"Input should be a valid integer, unable to parse string as an integer", "应为整数"),
    (r"Input should be a valid integer", "应为整数"),
    (r"Value '(.*)' is not a valid (\w+)\.", r"'\1' 不是有效的 \2。"),
    (r"(\S+) '(.+)' does not exist\.", r"\1 '\2' 不存在。"),
    (r"Input should be less than or equal to (\S+)", r"应不大于 \1"),
    (r"Input should be greater than or equal to (\S+)", r"应不小于 \1"),
    (r"Input should be less than (\S+)", r"应小于 \1"),
    (r"Input should be greater than (\S+)", r"应大于 \1"),
    (r"Input should be a valid number(, unable to parse string as a number)?", "应为数字"),
    (r"Input should be a valid boolean(, unable to interpret input)?", "应为 true 或 false"),
    (r"Path '(.*)' does not exist\.", r"路径 '\1' 不存在。"),
    (r"(File|Directory) '(.*)' is a directory\.", r"'\2' 是目录。"),
    (r"Possible options: ", "可能的选项："),
    (r"Did you mean (.+)\?", r"是否想用 \1？"),
]

# Typer's labels for an option's value in help (<str>, <int range>…), in Chinese; a flag
# (<bool>) shows none.
TYPE_LABELS = {"<str>": "<文本>", "<int>": "<整数>", "<float>": "<数>", "<bool>": "",
               "<int range>": "<整数>", "<float range>": "<数>", "<path>": "<路径>",
               "<file>": "<文件>", "<directory>": "<目录>", "<datetime>": "<日期时间>",
               "<uuid>": "<UUID>"}
HELP_TEXT = "显示此帮助并退出。"


def type_label(label: str) -> str:
    return TYPE_LABELS.get(label, label)


def number_range(low, high) -> str | None:
    """A number option's allowed range, as help shows it after the type."""
    if low is None and high is None:
        return None
    if low is None:
        return f"≤{high}"
    if high is None:
        return f"≥{low}"
    return f"{low}–{high}"


def translate(message: str) -> str:
    for pattern, replacement in _PATTERNS:
        message = re.sub(pattern, replacement, message, flags=re.MULTILINE)
    return message


def install() -> None:
    """Switch Typer's own texts to Chinese for this process (idempotent)."""
    if getattr(rich_utils, "_duban_zh", False):
        return
    rich_utils._duban_zh = True  # type: ignore[attr-defined]
    rich_utils.ARGUMENTS_PANEL_TITLE = "参数"
    rich_utils.OPTIONS_PANEL_TITLE = "选项"
    rich_utils.COMMANDS_PANEL_TITLE = "命令"
    rich_utils.ERRORS_PANEL_TITLE = "错误"
    rich_utils.ABORTED_TEXT = "已中止。"
    rich_utils.DEFAULT_STRING = "[默认：{}]"
    rich_utils.REQUIRED_LONG_STRING = "[必填]"
    rich_utils.ENVVAR_STRING = "[环境变量：{}]"
    rich_utils.RICH_HELP = "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。"

    original_format_error = rich_utils.rich_format_error

    def format_error(self) -> None:
        original_message = self.format_message

        def zh_message() -> str:
            return translate(original_message())

        self.format_message = zh_message
        original_format_error(self)

    rich_utils.rich_format_error = format_error

    original_display_type = typer_core._TyperParameter.display_type

    def display_type(self, ctx):
        return type_label(original_display_type(self, ctx))

    typer_core._TyperParameter.display_type = display_type  # type: ignore[method-assign]
    typer_core.describe_number_range = number_range  # type: ignore[assignment]

    original_help_option = decorators.help_option

    def help_option(param_decls):
        add = original_help_option(param_decls)

        def decorate(command):
            add(command)
            command.params[-1].help = HELP_TEXT
            return command

        return decorate

    decorators.help_option = help_option

    original_write_usage = formatting.HelpFormatter.write_usage

    def write_usage(self, prog, args="", prefix=None):
        args = args.replace("[OPTIONS]", "[选项]").replace("COMMAND", "命令") \
            .replace("[ARGS]...", "[参数]...")
        return original_write_usage(self, prog, args, "用法：" if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = write_usage
