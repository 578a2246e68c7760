//! The WGSL kernels checked natively, without a GPU: naga parses and validates a shader, and a
//! global's size is compared with the bytes the host writes into it.

/// `source` parsed and validated; a panic prints naga's diagnostic.
pub fn validated(source: &str) -> naga::Module {
    let module = naga::front::wgsl::parse_str(source)
        .unwrap_or_else(|e| panic!("{}", e.emit_to_string(source)));
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::empty(),
    )
    .validate(&module)
    .unwrap_or_else(|e| panic!("{}", e.emit_to_string(source)));
    module
}

/// The size in bytes of the global variable `name` (a uniform's struct).
pub fn global_size(module: &naga::Module, name: &str) -> usize {
    let ty = module
        .global_variables
        .iter()
        .find(|(_, g)| g.name.as_deref() == Some(name))
        .map(|(_, g)| g.ty)
        .unwrap_or_else(|| panic!("the shader has no global {name}"));
    module.types[ty].inner.size(module.to_ctx()) as usize
}
