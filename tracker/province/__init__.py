"""Many organizations in one instance: the provincial (and national) overview,
read-only for oversight users, and the operator's `tracker org` / `tracker user`
commands that set a province up."""
