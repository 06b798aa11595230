"""The SCIM 2.0 User Webex receives, as scim2-models models: RFC 7643's User and EnterpriseUser, and Webex's own
extension declared as a scim2-models Extension.

Webex's schemas (developer.webex.com, SCIM 2 users): `urn:ietf:params:scim:schemas:core:2.0:User`, the enterprise
extension, and `urn:scim:schemas:extension:cisco:webexidentity:2.0:User`, whose attributes the mappings can target
are the ones in components/webex_catalog.json (`sipAddresses[type eq "enterprise"].value`, extensionAttribute1…15).
Webex's own schema (GET /Schemas/SCIM2/User) declares each extensionAttributeN a multi-valued String, and its users
carry them as arrays (`"extensionAttribute1": ["…", "…"]`): they are modelled and sent so (MULTI_VALUED_STRINGS).

Validation is scim2-models' own, in the context of a creation request (`Context.RESOURCE_CREATION_REQUEST`: required
attributes, mutability, email syntax). It costs ~0.2 ms a payload, 20 s for 100,000 users, so verdicts are
remembered per *shape*: a payload's key is the payload with

* every value of a plain `str` attribute replaced by "non-empty" or "empty": which attributes are plain is read from
  the models themselves (type `str`, no validator, no constraint besides SCIM's own annotations), and for those
  scim2-models looks at nothing but emptiness (Required);
* every other text value (an email's `value` is an `EmailStr`) replaced by the verdict of that attribute's own type
  on it (pydantic's TypeAdapter of the field's annotation, the check the model runs on that leaf), kept as it is when
  that verdict is "invalid";
* a list of plain strings (extensionAttributeN) replaced by each item's "non-empty" or "empty", for the same reason;
* Booleans, `schemas` and names kept as they are.

The model-level checks (required, mutability, one primary) read only what the key keeps, so two payloads with one key
get one verdict. A payload whose key is new is validated in full.
"""

from __future__ import annotations

import enum
import types
import typing
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from scim2_models import URN, ComplexAttribute, Context, EnterpriseUser, Extension, User

CORE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
WEBEX_SCHEMA = "urn:scim:schemas:extension:cisco:webexidentity:2.0:User"


class SipAddress(ComplexAttribute):
    value: str | None = None
    type: str | None = None
    primary: bool | None = None


class WebexUser(Extension):
    """urn:scim:schemas:extension:cisco:webexidentity:2.0:User, the attributes a mapping may target."""

    __schema__ = URN(WEBEX_SCHEMA)

    sip_addresses: list[SipAddress] | None = None
    extension_attribute1: list[str] | None = None
    extension_attribute2: list[str] | None = None
    extension_attribute3: list[str] | None = None
    extension_attribute4: list[str] | None = None
    extension_attribute5: list[str] | None = None
    extension_attribute6: list[str] | None = None
    extension_attribute7: list[str] | None = None
    extension_attribute8: list[str] | None = None
    extension_attribute9: list[str] | None = None
    extension_attribute10: list[str] | None = None
    extension_attribute11: list[str] | None = None
    extension_attribute12: list[str] | None = None
    extension_attribute13: list[str] | None = None
    extension_attribute14: list[str] | None = None
    extension_attribute15: list[str] | None = None


WebexScimUser = User[EnterpriseUser | WebexUser]
# Mapping targets whose value Webex holds as an array of strings: a mapping's one value is sent as a one-element list.
MULTI_VALUED_STRINGS: frozenset[str] = frozenset(f"{WEBEX_SCHEMA}:extensionAttribute{n}" for n in range(1, 16))
EXTENSIONS: dict[str, type[BaseModel]] = {ENTERPRISE_SCHEMA: EnterpriseUser, WEBEX_SCHEMA: WebexUser}

_PLAIN, _NESTED, _LIST, _STRINGS, _OTHER = "plain", "nested", "list", "strings", "other"
_UNKNOWN: tuple[str, Any] = (_OTHER, None)  # an attribute the models do not declare: kept as it is


def _kind(field: Any) -> tuple[str, Any]:
    annotation = field.annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        annotation = args[0]
    scim_only = all(isinstance(m, enum.Enum) and type(m).__module__.startswith("scim2_models") for m in field.metadata)
    if annotation is str and scim_only:
        return _PLAIN, None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _NESTED, annotation
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return _LIST, item
        if item is str and scim_only:
            return _STRINGS, None
    return _OTHER, field.annotation


def _fields(model: type[BaseModel]) -> dict[str, tuple[str, Any]]:
    """Each attribute by its SCIM name, lower-cased (scim2-models reads attribute names case-insensitively)."""
    out = {}
    for name, field in model.model_fields.items():
        alias = field.serialization_alias or field.alias or name
        # `schemas` is read by the model-level checks (which extensions a payload declares): kept as it is.
        out[alias] = out[alias.lower()] = _UNKNOWN if alias == "schemas" else _kind(field)
    return out


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple((k, _freeze(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


class PayloadValidator:
    """scim2-models validation of User payloads, remembered per shape (see the module's docstring)."""

    def __init__(self) -> None:
        self._layouts: dict[type[BaseModel], dict[str, tuple[str, Any]]] = {}
        self._verdicts: dict[Any, tuple[str, ...]] = {}
        self._leaf_types: dict[Any, TypeAdapter[Any]] = {}
        self._leaf_verdicts: dict[tuple[Any, str], Any] = {}
        self.validated = 0  # payloads scim2-models actually validated (the rest shared a verdict)

    def _layout(self, model: type[BaseModel]) -> dict[str, tuple[str, Any]]:
        layout = self._layouts.get(model)
        if layout is None:
            layout = self._layouts[model] = _fields(model)
        return layout

    def _key(self, value: dict[str, Any], model: type[BaseModel]) -> Any:
        layout = self._layout(model)
        out: list[tuple[str, Any]] = []
        append = out.append
        for name, item in value.items():
            kind, sub = layout.get(name) or layout.get(name.lower()) or _UNKNOWN
            of = type(item)
            if of is str:
                if kind is _PLAIN:
                    append((name, "x" if item else ""))
                elif kind is _OTHER and sub is not None:
                    append((name, self._leaf(sub, item)))
                else:
                    append((name, item))
            elif of is dict:
                extension = EXTENSIONS.get(name)
                if extension is not None:
                    append((name, self._key(item, extension)))
                elif kind is _NESTED:
                    append((name, self._key(item, sub)))
                else:
                    append((name, _freeze(item)))
            elif of is list and kind is _LIST:
                append((name, tuple(self._key(i, sub) if type(i) is dict else _freeze(i) for i in item)))
            elif of is list and kind is _STRINGS:
                append((name, tuple(("x" if i else "") if type(i) is str else _freeze(i) for i in item)))
            else:
                append((name, _freeze(item)))  # schemas, Booleans: kept as they are
        return tuple(out)

    def _leaf(self, annotation: Any, value: str) -> Any:
        """A text value of a typed attribute (EmailStr, an enum): its type's verdict, or the value if invalid."""
        cached = self._leaf_verdicts.get((annotation, value))
        if cached is not None:
            return cached
        adapter = self._leaf_types.get(annotation)
        if adapter is None:
            adapter = self._leaf_types[annotation] = TypeAdapter(annotation)
        try:
            adapter.validate_python(value)
            verdict: Any = ("valid",)
        except ValidationError:
            verdict = ("invalid", value)
        if len(self._leaf_verdicts) < 4096:  # the few values that repeat (types: work, mobile, …)
            self._leaf_verdicts[(annotation, value)] = verdict
        return verdict

    def problems(self, payload: dict[str, Any]) -> tuple[str, ...]:
        """What scim2-models finds wrong with a payload sent to create a user (empty when it is valid)."""
        key = self._key(payload, User)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._verdicts[key] = validate(payload)
            self.validated += 1
        return verdict


def validate(payload: dict[str, Any]) -> tuple[str, ...]:
    """scim2-models' own verdict on one payload, every error as `path: message`."""
    try:
        WebexScimUser.model_validate(payload, scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    except ValidationError as exc:
        return tuple(
            f"{'.'.join(str(p) for p in error['loc']) or 'the resource'}: {error['msg']}"
            for error in exc.errors(include_url=False)
        )
    return ()
