"""The Panopto account tables: one encrypted token row per tenant, user and server; one-time connect states."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..models import Base, utcnow

SERVICE_USER = "@service"  # the row of a tenant's service user (password grant) on a server


class PanoptoToken(Base):
    """A linked Panopto account: refresh and access tokens encrypted (pipeline.crypto), a version per rotation.

    Every refresh rotates the refresh token; the row is locked while it happens and `version` grows by one,
    so a second worker waits, re-reads and uses the new tokens instead of spending the old refresh token again.
    """

    __tablename__ = "panopto_tokens"
    __table_args__ = (UniqueConstraint("tenant", "user_id", "server_host", name="uq_panopto_tokens_owner"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(128))
    server_host: Mapped[str] = mapped_column(String(255))
    refresh_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    access_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    access_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    grant: Mapped[str] = mapped_column(String(32), default="authorization_code")
    panopto_user: Mapped[str | None] = mapped_column(String(255), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PanoptoConnectState(Base):
    """A pending "Connect Panopto": single use, short-lived, kept here so the link carries only an opaque id.

    `id` is the SHA-256 of the id in the link, so the table alone cannot be used to complete a connection.
    `pending` is the request to start once the account is linked (a job's fields, no credentials).
    """

    __tablename__ = "panopto_connect_states"
    __table_args__ = (Index("ix_panopto_connect_states_expires", "expires_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(128))
    server_host: Mapped[str] = mapped_column(String(255))
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
