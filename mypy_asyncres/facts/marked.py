"""`@must_enter` on the mypy side: validating the decorator and keeping its marks.

Class marks live in `TypeInfo.metadata`, which mypy's cache keeps. Function marks
are read from the decorator list when the defining module was analysed in this run;
mypy's cache drops decorator lists, so the mark is also recorded where the cache
keeps it: the defining class's metadata for methods, and for module-level functions
the metadata of a hidden, plugin-generated class in the module.
"""

from __future__ import annotations

from mypy.nodes import (
    GDEF,
    Block,
    CallExpr,
    ClassDef,
    Context,
    Decorator,
    Expression,
    FuncDef,
    MypyFile,
    OverloadedFuncDef,
    RefExpr,
    Statement,
    StrExpr,
    SymbolNode,
    SymbolTable,
    SymbolTableNode,
    TypeInfo,
)
from mypy.plugin import ClassDefContext, FunctionContext
from mypy.types import (
    CallableType,
    Instance,
    Overloaded,
    Type,
    get_proper_type,
)

from mypy_asyncres.cache import metadata
from mypy_asyncres.cache.daemon import spell_mark
from mypy_asyncres.mypy_internals import build_modules, current_tree, set_fullname
from mypy_asyncres.names import (
    COROUTINE,
    FUNCTION_MARKS_HOLDER,
    GENERATOR_TYPES,
    MUST_ENTER,
    OWNS,
)
from mypy_asyncres.output import errors
from mypy_asyncres.typeops import every_member_has_enter_and_exit, has_enter_and_exit


def refers_to(expr: Expression, fullnames: frozenset[str]) -> bool:
    """`@name` or `@name(...)`-free reference to one of fullnames."""
    return isinstance(expr, RefExpr) and expr.fullname in fullnames


def is_marked_class(info: TypeInfo) -> bool:
    """Marked itself; subclasses are resources through their MRO (see resources/predicate.py)."""
    return metadata.is_marked(info)


def mark_class(ctx: ClassDefContext) -> bool:
    """The class-decorator hook for `@must_enter`.

    mypy runs it after the semantic analysis of the whole SCC, so base classes are complete.
    """
    info = ctx.cls.info
    if has_enter_and_exit(info):
        metadata.mark(info)
        spell_mark(ctx)
    else:
        ctx.api.fail(
            errors.INVALID_CLASS_MARK.format(name=info.name),
            ctx.reason,
            code=errors.RESOURCE_INVALID_MARK,
        )
    return True


# ---- function marks ---------------------------------------------------------


def _decorator_list(dec: Decorator) -> list[Expression]:
    return dec.original_decorators or dec.decorators


def _holder(module: MypyFile, create: bool) -> TypeInfo | None:
    sym = module.names.get(FUNCTION_MARKS_HOLDER)
    if sym is not None and isinstance(sym.node, TypeInfo):
        return sym.node
    if not create:
        return None
    defn = ClassDef(FUNCTION_MARKS_HOLDER, Block([]))
    info = TypeInfo(SymbolTable(), defn, module.fullname)
    defn.info = info
    defn.fullname = f"{module.fullname}.{FUNCTION_MARKS_HOLDER}"
    set_fullname(info, defn.fullname)
    module.names[FUNCTION_MARKS_HOLDER] = SymbolTableNode(
        GDEF, info, module_public=False, plugin_generated=True
    )
    return info


def _marks_holder(owner: TypeInfo | MypyFile | None) -> TypeInfo | None:
    """Where the marks of a method (its class) or a module-level function (the module's
    holder class) are kept for calls that come from the cache."""
    if isinstance(owner, TypeInfo):
        return owner
    if isinstance(owner, MypyFile):
        return _holder(owner, create=False)
    return None


def is_marked_callable(node: SymbolNode, owner: TypeInfo | MypyFile | None) -> bool:
    """Whether a function, method or overload is marked `@must_enter`.

    owner is the class that defines the method or the module that defines the
    function; it is where the mark is kept for calls that come from the cache.
    """
    if isinstance(node, OverloadedFuncDef):
        items: list[SymbolNode] = list(node.items)
        if node.impl is not None:
            items.append(node.impl)
        return any(is_marked_callable(item, owner) for item in items)
    if not isinstance(node, (Decorator, FuncDef)):
        return False
    if isinstance(node, Decorator):
        decorators = _decorator_list(node)
        if decorators:
            # Analysed in this run: the decorator list is the truth, unless the mark
            # was reported invalid (the decorated type, once known, is no context manager).
            if not any(refers_to(d, MUST_ENTER) for d in decorators):
                return False
            produced = _produced_type(node.var.type) if node.var.type is not None else None
            return produced is None or every_member_has_enter_and_exit(produced)
    holder = _marks_holder(owner)
    return holder is not None and metadata.is_marked_function(holder, node.name)


def _record_function_mark(dec: Decorator, modules: dict[str, MypyFile]) -> None:
    func = dec.func
    if func.info:  # FakeInfo (module-level function) is falsy
        holder: TypeInfo | None = func.info
    else:
        module_name, _, _ = func.fullname.rpartition(".")
        module = modules.get(module_name)
        if module is None:
            return  # a nested function: always analysed together with its callers
        holder = _holder(module, create=True)
    assert holder is not None
    metadata.add_marked_function(holder, func.name)


def _produced_type(signature: Type) -> Type | None:
    """What calling a decorated function produces (a coroutine's result for `async def`)."""
    proper = get_proper_type(signature)
    if isinstance(proper, Overloaded):
        proper = proper.items[0]
    if not isinstance(proper, CallableType):
        return None
    ret = get_proper_type(proper.ret_type)
    if isinstance(ret, Instance) and ret.type.fullname == COROUTINE and len(ret.args) == 3:
        return ret.args[2]
    return ret


def check_decorator_application(ctx: FunctionContext) -> Type:
    """The function hook for `must_enter(...)`: mypy applies decorators as calls."""
    context = ctx.context
    if isinstance(context, Decorator):
        produced = _produced_type(ctx.arg_types[0][0]) if ctx.arg_types[0] else None
        if produced is not None and not every_member_has_enter_and_exit(produced):
            from mypy.messages import format_type

            # At the `@must_enter` line, which need not be the decorator list's first.
            where: Context = next((d for d in _decorator_list(context) if refers_to(d, MUST_ENTER)), context)
            ctx.api.fail(
                errors.INVALID_FUNCTION_MARK.format(
                    name=context.func.name, type=format_type(produced, ctx.api.options)
                ),
                where,
                code=errors.RESOURCE_INVALID_MARK,
            )
            proper = get_proper_type(produced)
            if isinstance(proper, Instance) and proper.type.fullname in GENERATOR_TYPES:
                # `@contextmanager` above `@must_enter`: the mark sees the bare generator.
                ctx.api.msg.note(errors.MARK_ABOVE_CONTEXTMANAGER, where, code=errors.RESOURCE_INVALID_MARK)
        else:
            _record_function_mark(context, build_modules(ctx.api))
    elif not isinstance(context, ClassDef):
        ctx.api.fail(errors.NOT_A_DECORATOR, context, code=errors.RESOURCE_INVALID_MARK)
    return ctx.default_return_type


# ---- owning parameters: @owns("param", ...) -----------------------------------


def _owns_parameters(decorators: list[Expression]) -> list[str] | None:
    """The parameters named by an `@owns(...)` among these decorators, if there is one."""
    for dec in decorators:
        if isinstance(dec, CallExpr) and refers_to(dec.callee, OWNS):
            return [arg.value for arg in dec.args if isinstance(arg, StrExpr)]
    return None


def declared_owning(node: SymbolNode, owner: TypeInfo | MypyFile | None) -> frozenset[str]:
    """The parameters that `@owns` declares on a function or method (see marks.owns).

    Read from the decorator list when the function was analysed in this run, else from
    where `record_owns` kept them for the cache (as for `@must_enter` on functions).
    """
    if isinstance(node, OverloadedFuncDef):
        node = node.impl if node.impl is not None else node.items[0]
    if not isinstance(node, Decorator):
        return frozenset()
    decorators = _decorator_list(node)
    if decorators:
        return frozenset(_owns_parameters(decorators) or ())
    holder = _marks_holder(owner)
    return metadata.declared_owning(holder, node.name) if holder is not None else frozenset()


def _decorated_by(call: CallExpr, body: list[Statement]) -> Decorator | None:
    """The function (module-level or a method, at any class depth) that `call` decorates."""
    for stmt in body:
        if isinstance(stmt, OverloadedFuncDef) and isinstance(stmt.impl, Decorator):
            stmt = stmt.impl
        if isinstance(stmt, Decorator) and any(d is call for d in _decorator_list(stmt)):
            return stmt
        if isinstance(stmt, ClassDef):
            found = _decorated_by(call, stmt.defs.body)
            if found is not None:
                return found
    return None


def record_owns(ctx: FunctionContext) -> Type:
    """The function hook for `owns(...)`: validate the names and keep them for the cache."""
    call = ctx.context
    if not isinstance(call, CallExpr):
        return ctx.default_return_type
    checker = ctx.api
    dec = _decorated_by(call, current_tree(checker).defs)
    if dec is None:
        ctx.api.fail(errors.OWNS_NOT_A_DECORATOR, call, code=errors.RESOURCE_INVALID_MARK)
        return ctx.default_return_type
    func = dec.func
    names = [arg.value for arg in call.args if isinstance(arg, StrExpr)]
    if len(names) != len(call.args) or not names:
        ctx.api.fail(errors.OWNS_NEEDS_NAMES, call, code=errors.RESOURCE_INVALID_MARK)
        return ctx.default_return_type
    parameters = [name for name in func.arg_names if name is not None]
    if func.info and not func.is_static:
        parameters = parameters[1:]  # self / cls
    for name in names:
        if name not in parameters:
            ctx.api.fail(
                errors.owns_unknown_parameter(name, func.name), call, code=errors.RESOURCE_INVALID_MARK
            )
    if func.info:
        holder: TypeInfo | None = func.info
    else:
        module = build_modules(checker).get(func.fullname.rpartition(".")[0])
        if module is None:
            return ctx.default_return_type  # a nested function: analysed with its callers
        holder = _holder(module, create=True)
    assert holder is not None
    metadata.set_declared_owning(holder, func.name, names)
    return ctx.default_return_type
