# frozen_string_literal: true

module Sidewatch
  module Proto
    # The subset of JSON Schema that packages/proto/event-schema.json uses (type, required,
    # properties, patternProperties, items, maxItems, minLength, maxLength, pattern, minimum,
    # maximum, const, anyOf, oneOf), answering with the first offending field as a JSON Pointer,
    # found in the order the reference validator (TypeBox) reports: missing required properties
    # first, then each declared property in order. String lengths are counted in UTF-16 code
    # units, as JavaScript does.
    module SchemaCheck
      module_function

      # The JSON Pointer of the first error, or nil when `value` matches.
      def first_error(schema, value, path = '')
        return any_of(schema['anyOf'] || schema['oneOf'], value, path) if schema.key?('anyOf') || schema.key?('oneOf')
        return path if schema.key?('const') && value != schema['const']

        case schema['type']
        when 'object' then object_error(schema, value, path)
        when 'array' then array_error(schema, value, path)
        when 'string' then string_error(schema, value, path)
        when 'integer' then integer?(value) ? range_error(schema, value, path) : path
        when 'number' then number?(value) ? range_error(schema, value, path) : path
        when 'boolean' then value == true || value == false ? nil : path
        end
      end

      def any_of(variants, value, path)
        variants.any? { |s| first_error(s, value, path).nil? } ? nil : path
      end

      def object_error(schema, value, path)
        return path unless value.is_a?(Hash)

        (schema['required'] || []).each { |key| return "#{path}/#{escape(key)}" unless value.key?(key) }
        (schema['properties'] || {}).each do |key, sub|
          next unless value.key?(key)

          error = first_error(sub, value[key], "#{path}/#{escape(key)}")
          return error unless error.nil?
        end
        (schema['patternProperties'] || {}).each do |pattern, sub|
          regex = regexp(pattern)
          value.each do |key, item|
            next unless regex.match?(key)

            error = first_error(sub, item, "#{path}/#{escape(key)}")
            return error unless error.nil?
          end
        end
        nil
      end

      def array_error(schema, value, path)
        return path unless value.is_a?(Array)
        return path if schema.key?('maxItems') && value.length > schema['maxItems']
        return nil unless schema.key?('items')

        value.each_with_index do |item, i|
          error = first_error(schema['items'], item, "#{path}/#{i}")
          return error unless error.nil?
        end
        nil
      end

      def string_error(schema, value, path)
        return path unless value.is_a?(String)

        length = utf16_length(value)
        return path if schema.key?('minLength') && length < schema['minLength']
        return path if schema.key?('maxLength') && length > schema['maxLength']
        return path if schema.key?('pattern') && !regexp(schema['pattern']).match?(value)

        nil
      end

      def range_error(schema, value, path)
        return path if schema.key?('minimum') && value < schema['minimum']
        return path if schema.key?('maximum') && value > schema['maximum']

        nil
      end

      def integer?(value)
        value.is_a?(Integer) || (value.is_a?(Float) && value.finite? && value == value.floor)
      end

      def number?(value)
        value.is_a?(Integer) || (value.is_a?(Float) && value.finite?)
      end

      def utf16_length(text)
        text.ascii_only? ? text.bytesize : text.each_char.sum { |c| c.ord > 0xFFFF ? 2 : 1 }
      end

      REGEXPS = {} # rubocop:disable Style/MutableConstant -- a cache of compiled patterns
      # ECMAScript `^`/`$` (no m flag) are the ends of the string: Ruby's \A and \z.
      def regexp(pattern)
        REGEXPS[pattern] ||= Regexp.new(pattern.sub(/\A\^/, '\A').sub(/(?<!\\)\$\z/, '\z'))
      end

      def escape(key)
        key.to_s.gsub('~', '~0').gsub('/', '~1')
      end
    end
  end
end
