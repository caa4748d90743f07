"""The project: settings, the root URLconf and the WSGI entry point, apart from the apps they put
together (brigade: the organisation, its ledgers and figures; the data apps; reports; sheets)."""
