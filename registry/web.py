"""The public home page and shared page helpers."""
from flask import Blueprint, Flask, render_template

bp = Blueprint("web", __name__)


@bp.get("/")
def home():
    return render_template("web/home.html")


def register(app: Flask) -> None:
    app.register_blueprint(bp)
