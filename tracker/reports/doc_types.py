"""Content types of the documents, importable without the libraries that write them."""

#: An OpenDocument text (tracker/reports/odt.py writes them)
ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"
