package io.custos.phi;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementCompositeDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementDefinition;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeChildChoiceDefinition;
import ca.uhn.fhir.context.RuntimeResourceDefinition;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;

/**
 * Minimum necessary (45 CFR 164.514(d)(2)-(3)) applied to FHIR R4 resources: given a tool's declared
 * element allowlist, returns a <em>copy</em> of a resource holding only those elements. Everything not
 * listed is absent from the copy, including {@code contained} resources, {@code extension} and
 * {@code modifierExtension} (at every level), the narrative {@code text}, {@code meta} (security labels,
 * profiles, tags), {@code implicitRules} and element {@code id}s.
 *
 * <p>Paths are FHIR element paths rooted at the resource type: {@code Condition.code},
 * {@code Observation.value[x]} (a choice element, matching every type; a concrete name such as
 * {@code Observation.valueQuantity} matches that type only), {@code Patient.address.city} (only the city of
 * each address is kept), {@code Encounter.serviceProvider.display}. Listing an element keeps its whole
 * subtree <em>except</em> extensions, modifier extensions and element ids inside it, which are removed
 * unless listed explicitly (e.g. {@code Patient.extension}).
 *
 * <p>Works entirely through HAPI's runtime model ({@link BaseRuntimeElementCompositeDefinition} children,
 * accessors and mutators): no reflection. The source resource is never modified. Instances are immutable
 * and thread-safe; build one per tool and reuse it.
 */
public final class ElementAllowlist {

  /** Children never copied implicitly when a parent element is allowed as a whole. */
  private static final List<String> IMPLICITLY_DROPPED = List.of("extension", "modifierExtension", "id");

  private final FhirContext fhir;
  private final String resourceType;
  private final Node root = new Node();

  /**
   * @param fhir         the R4 context
   * @param resourceType the resource type the paths are rooted at (e.g. {@code Condition})
   * @param paths        allowed element paths; paths rooted at another resource type are ignored
   * @throws IllegalArgumentException if a path names no element of the type (a typo would silently drop data)
   */
  public ElementAllowlist(FhirContext fhir, String resourceType, Collection<String> paths) {
    this.fhir = Objects.requireNonNull(fhir);
    this.resourceType = Objects.requireNonNull(resourceType);
    RuntimeResourceDefinition def = fhir.getResourceDefinition(resourceType);
    for (String path : paths) {
      String[] parts = path.split("\\.");
      if (!parts[0].equals(resourceType)) {
        continue;
      }
      if (parts.length == 1) {
        throw new IllegalArgumentException("allowlist path names a whole resource: " + path);
      }
      Node n = root;
      for (int i = 1; i < parts.length; i++) {
        // HAPI names a choice element without its [x] suffix (value[x] -> "value").
        parts[i] = parts[i].endsWith("[x]") ? parts[i].substring(0, parts[i].length() - 3) : parts[i];
        n = n.children.computeIfAbsent(parts[i], k -> new Node());
      }
      n.whole = true;
      validate(def, parts, path);
    }
  }

  /** The resource type this allowlist applies to. */
  public String resourceType() {
    return resourceType;
  }

  /**
   * @param resource a resource of {@link #resourceType()}
   * @return a new resource of the same type with only allowed elements
   * @throws IllegalArgumentException for a resource of another type
   */
  @SuppressWarnings("unchecked")
  public <T extends IBaseResource> T apply(T resource) {
    RuntimeResourceDefinition def = fhir.getResourceDefinition(resource);
    if (!def.getName().equals(resourceType)) {
      throw new IllegalArgumentException("allowlist for " + resourceType + " applied to " + def.getName());
    }
    T copy = (T) def.newInstance();
    copyChildren(def, resource, copy, root);
    return copy;
  }

  /** Copies the children of {@code src} selected by {@code node} into {@code dst}. */
  private void copyChildren(BaseRuntimeElementCompositeDefinition<?> def, IBase src, IBase dst, Node node) {
    for (BaseRuntimeChildDefinition child : def.getChildren()) {
      List<? extends IBase> values = child.getAccessor().getValues(src);
      if (values.isEmpty()) {
        continue;
      }
      for (IBase value : values) {
        Node selected = node.select(child, value);
        if (selected == null) {
          continue;
        }
        IBase copied = copyValue(child, value, selected);
        if (copied != null) {
          child.getMutator().addValue(dst, copied);
        }
      }
    }
  }

  /**
   * Copies one value. A node that is {@code whole} keeps the full subtree minus implicit drops; otherwise
   * only the selected grandchildren are kept. Returns null when nothing of the value survives.
   */
  private IBase copyValue(BaseRuntimeChildDefinition child, IBase value, Node node) {
    BaseRuntimeElementDefinition<?> vdef = child.getChildElementDefinitionByDatatype(value.getClass());
    if (vdef == null) {
      vdef = fhir.getElementDefinition(value.getClass());
    }
    if (value instanceof IBaseResource r) {
      // A nested resource (e.g. an allowed `contained`): only with its own type's full element set.
      if (!node.whole) {
        return null;
      }
      RuntimeResourceDefinition rdef = fhir.getResourceDefinition(r);
      IBaseResource out = rdef.newInstance();
      copyChildren(rdef, r, out, Node.ALL);
      out.setId(r.getIdElement().getValue());
      return out;
    }
    if (value instanceof IPrimitiveType<?> p) {
      // Value only: the primitive's extensions and element id are not copied.
      IPrimitiveType<?> out = (IPrimitiveType<?>) vdef.newInstance(child.getInstanceConstructorArguments());
      out.setValueAsString(p.getValueAsString());
      return out.isEmpty() ? null : out;
    }
    if (!(vdef instanceof BaseRuntimeElementCompositeDefinition<?> cdef)) {
      return null;
    }
    IBase out = cdef.newInstance(child.getInstanceConstructorArguments());
    if (node.whole && node.children.isEmpty()) {
      copyAllExceptImplicit(cdef, value, out);
    } else {
      copyChildren(cdef, value, out, node.whole ? node.withWildcard() : node);
    }
    return out.isEmpty() ? null : out;
  }

  private void copyAllExceptImplicit(BaseRuntimeElementCompositeDefinition<?> def, IBase src, IBase dst) {
    copyChildren(def, src, dst, Node.ALL);
  }

  /** Checks that each path step names an element, so a mistyped allowlist fails at start-up. */
  private void validate(BaseRuntimeElementCompositeDefinition<?> def, String[] parts, String path) {
    BaseRuntimeElementCompositeDefinition<?> current = def;
    for (int i = 1; i < parts.length; i++) {
      String name = parts[i];
      BaseRuntimeChildDefinition child = current == null ? null : findChild(current, name);
      if (child == null) {
        if (current == null) {
          return; // below a choice or reference target: checked at run time only
        }
        throw new IllegalArgumentException("allowlist path " + path + ": no element '" + name + "' in " + current.getName());
      }
      // A choice element (value[x]) has no single type: what lies below it is checked at run time only.
      BaseRuntimeElementDefinition<?> next = child instanceof RuntimeChildChoiceDefinition && name.equals(child.getElementName())
          ? null : child.getChildByName(name);
      current = next instanceof BaseRuntimeElementCompositeDefinition<?> c ? c : null;
    }
  }

  private static BaseRuntimeChildDefinition findChild(BaseRuntimeElementCompositeDefinition<?> def, String name) {
    BaseRuntimeChildDefinition c = def.getChildByName(name);
    if (c != null) {
      return c;
    }
    for (BaseRuntimeChildDefinition child : def.getChildren()) {
      if (child.getElementName().equals(name) || child.getValidChildNames().contains(name)) {
        return child;
      }
    }
    return null;
  }

  /** One step of the allowlist trie. */
  private static class Node {
    /** Selects every child except {@link #IMPLICITLY_DROPPED}, recursively. */
    static final Node ALL = new Node(true);

    final Map<String, Node> children = new TreeMap<>();
    boolean whole;
    private final boolean all;

    Node() {
      this(false);
    }

    private Node(boolean all) {
      this.all = all;
      this.whole = all;
    }

    /** The node for {@code value} of {@code child}, or null if not allowed. */
    Node select(BaseRuntimeChildDefinition child, IBase value) {
      String name = child.getElementName();
      if (all) {
        return IMPLICITLY_DROPPED.contains(name) ? null : ALL;
      }
      Node n = children.get(name);
      if (n == null && child instanceof RuntimeChildChoiceDefinition) {
        // Concrete choice name, e.g. valueQuantity for value[x].
        n = children.get(child.getChildNameByDatatype(value.getClass()));
      }
      return n;
    }

    /** A whole node that also lists children: keep everything (minus implicit drops) plus the listed ones. */
    Node withWildcard() {
      Node n = new Node();
      n.whole = true;
      n.children.putAll(children);
      return new Node(false) {
        @Override
        Node select(BaseRuntimeChildDefinition child, IBase value) {
          Node explicit = n.select(child, value);
          if (explicit != null) {
            return explicit;
          }
          return IMPLICITLY_DROPPED.contains(child.getElementName()) ? null : ALL;
        }
      };
    }
  }
}
