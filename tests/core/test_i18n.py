from digigov.core.errors import Conflict, InvalidInput
from digigov.core.i18n import error_text, register, translate

register({
    "error.test_required": ("请填写“{field}”", "{field} is required"),
    "error.test_state": ("当前状态：{state}", "state: {state}"),
    "field.test_purpose": ("用途", "purpose"),
    "state.test_granted": ("已同意", "Granted"),
})


def test_errors_speak_the_readers_language() -> None:
    exc = InvalidInput("purpose is required", key="test_required", field="test_purpose")
    assert error_text(exc, "zh") == "请填写“用途”"
    assert error_text(exc, "en") == "purpose is required"


def test_an_error_without_a_catalogue_entry_keeps_its_message() -> None:
    assert error_text(Conflict("the sky fell"), "zh") == "the sky fell"
    assert error_text(Conflict("the sky fell", key="no_such_key"), "zh") == "the sky fell"
    # a template asking for a parameter the error does not carry falls back too
    assert error_text(InvalidInput("x", key="test_required"), "zh") == "x"


def test_translate_falls_back_to_chinese_then_the_key() -> None:
    assert translate("field.test_purpose", "fr") == "用途"
    assert translate("no.such.message", "en") == "no.such.message"


def test_details_with_registered_names_are_translated() -> None:
    exc = Conflict("item is test_granted", key="test_state", state="test_granted")
    assert error_text(exc, "zh") == "当前状态：已同意"
    assert error_text(exc, "en") == "state: Granted"
