// Lasso's C API as this library uses it: the headers in an order C++ accepts, and owners for
// the GObjects and GLib strings it hands out. Private to app/saml and its tests.
#pragma once

// clang-format off
// Lasso's headers open `extern "C"` and only then include GLib, libxml2 and xmlsec; Debian's
// libxml2 is built with ICU, whose headers include C++ templates, which g++ refuses inside
// `extern "C"`. Included here first, their include guards keep them out of that block.
#include <glib.h>
#include <glib-object.h>
#include <libxml/tree.h>
#include <libxml/uri.h>
#include <libxml/xmlreader.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/keys.h>
#include <xmlsec/xmlenc.h>

#include <lasso/lasso.h>
#include <lasso/debug.h>
#include <lasso/xml/misc_text_node.h>
#include <lasso/xml/saml-2.0/saml2_assertion.h>
#include <lasso/xml/saml-2.0/saml2_attribute.h>
#include <lasso/xml/saml-2.0/saml2_attribute_statement.h>
#include <lasso/xml/saml-2.0/saml2_attribute_value.h>
#include <lasso/xml/saml-2.0/saml2_audience_restriction.h>
#include <lasso/xml/saml-2.0/saml2_authn_context.h>
#include <lasso/xml/saml-2.0/saml2_authn_statement.h>
#include <lasso/xml/saml-2.0/saml2_conditions.h>
#include <lasso/xml/saml-2.0/saml2_name_id.h>
#include <lasso/xml/saml-2.0/saml2_strings.h>
#include <lasso/xml/saml-2.0/saml2_subject.h>
#include <lasso/xml/saml-2.0/saml2_subject_confirmation.h>
#include <lasso/xml/saml-2.0/saml2_subject_confirmation_data.h>
#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <lasso/xml/saml-2.0/samlp2_name_id_policy.h>
#include <lasso/xml/saml-2.0/samlp2_requested_authn_context.h>
#include <lasso/xml/saml-2.0/samlp2_response.h>
#include <lasso/xml/saml-2.0/samlp2_status.h>
#include <lasso/xml/saml-2.0/samlp2_status_code.h>
// clang-format on

#include <memory>

namespace chal::saml::lasso {

// Calls lasso_init() (libxml2, xmlsec and its OpenSSL backend) once per process, thread-safely;
// every entry point of this library calls it first. Throws std::runtime_error if it fails.
void ensure_initialized();

// Every Lasso object (LassoServer, LassoLogin, the SAML nodes) is a GObject: one reference each.
struct gobject_unref {
    void operator()(void* object) const noexcept { g_object_unref(object); }
};
template <class T>
using gobject_ptr = std::unique_ptr<T, gobject_unref>;

// Strings Lasso returns with "transfer full" are g_malloc'ed.
struct gfree {
    void operator()(void* memory) const noexcept { g_free(memory); }
};
using gchar_ptr = std::unique_ptr<gchar, gfree>;

// The object behind `node` as a T when it is an instance of `type` (a Lasso GType), else null.
// Lasso's LASSO_X() cast macros would do the same with C casts and a g_warning on mismatch.
template <class T>
T* node_as(void* node, GType type) noexcept {
    if (node == nullptr || !G_TYPE_CHECK_INSTANCE_TYPE(node, type)) {
        return nullptr;
    }
    return static_cast<T*>(node);
}

}  // namespace chal::saml::lasso
