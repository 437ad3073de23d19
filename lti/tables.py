"""The LTI tables, on the project's metadata so Alembic (migration 0008) and the stores agree.

    lti_platforms       a registration: one (issuer, client id) and its login, token and keyset URLs
    lti_deployments     deployment ids seen or approved per registration (active | pending)
    lti_keys            the tool's RSA signing keys, private halves encrypted (current | next | previous)
    lti_login_states    one row per OIDC login: state (hashed), its nonce, the registration; used once
    lti_used_nonces     nonces of accepted id_tokens, so a replayed token is refused
    lti_launches        launch tickets: what a launch proved, reachable without a cookie for a few hours
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.models import Base, utcnow


class LtiPlatform(Base):
    """A platform registration; looked up by (issuer, client id), never by issuer alone."""

    __tablename__ = "lti_platforms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(Text)
    auth_token_url: Mapped[str] = mapped_column(Text)
    auth_audience: Mapped[str | None] = mapped_column(Text)
    key_set_url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_lti_platforms_issuer_client"),)


class DeploymentStatus:
    ACTIVE = "active"
    PENDING = "pending"


class LtiDeployment(Base):
    """A deployment id of a registration: recorded on first sight, active at once or after an admin approves."""

    __tablename__ = "lti_deployments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=DeploymentStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("platform_id", "deployment_id", name="uq_lti_deployments_platform_dep"),)


class KeyStatus:
    CURRENT = "current"      # signs
    NEXT = "next"            # published ahead, so platforms know it before it signs
    PREVIOUS = "previous"    # signed until the last rotation; still published for platforms with a cached set


class LtiKey(Base):
    """One of the tool's signing keys; `private_pem` is ciphertext (pipeline.crypto, purpose "lti")."""

    __tablename__ = "lti_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kid: Mapped[str] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    private_pem: Mapped[str] = mapped_column(Text)
    public_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_lti_keys_status", "status"),)


class LtiLoginState(Base):
    """An OIDC login in flight: the state (its SHA-256), the nonce the id_token must carry, and where it goes."""

    __tablename__ = "lti_login_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128))
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_lti_login_states_expires", "expires_at"),)


class LtiUsedNonce(Base):
    """A nonce an accepted id_token carried; the primary key makes its second use fail."""

    __tablename__ = "lti_used_nonces"

    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime]


class LtiLaunch(Base):
    """A launch ticket: the claims a validated launch carried, found by the ticket's SHA-256 until it expires."""

    __tablename__ = "lti_launches"

    ticket_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    csrf: Mapped[str] = mapped_column(String(64))
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    tenant: Mapped[str] = mapped_column(String(128))
    context_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    message_type: Mapped[str] = mapped_column(String(64))
    claims: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    __table_args__ = (Index("ix_lti_launches_expires", "expires_at"),)
