"""The floor for bench/api_bench.py: a bare Flask + SQLAlchemy endpoint that
inserts one row and answers 201, served with the same gunicorn settings."""

import os

from flask import Flask, request
from sqlalchemy import Integer, String, create_engine, exc
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Row(Base):
    __tablename__ = "floor_row"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))


engine = create_engine(
    os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://"),
    connect_args={"timeout": 30} if os.environ["DATABASE_URL"].startswith("sqlite") else {},
)
try:
    Base.metadata.create_all(engine)
except exc.DBAPIError:  # both gunicorn workers import this at once: the other one created it
    Base.metadata.create_all(engine)
app = Flask(__name__)


@app.post("/api/v1/cases")
def create():
    body = request.get_json()
    with Session(engine) as session, session.begin():
        session.add(Row(subject=body["subject"][:200]))
    return {"status": "created"}, 201
