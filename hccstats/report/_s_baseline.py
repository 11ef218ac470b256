REQUIRES = ()


def run(ctx, section):
    from ._context import StageUnavailable

    raise StageUnavailable("not implemented yet")
